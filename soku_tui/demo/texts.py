"""The words of the demo scenario: captions and per-platform error messages.

Kept apart from the generator so the data can be read (and extended) on its own. The
messages paraphrase what each platform typically answers; ``{name}`` is the platform's
display name and ``{account}`` the account id.
"""

from __future__ import annotations

from typing import Any, Final

Details = dict[str, Any] | None
Message = tuple[str, Details]

# Per-platform messages ("*" is the fallback). {name} is the platform's display name,
# {account} the account id.
MESSAGES: Final[dict[str, dict[str, tuple[Message, ...]]]] = {
    "validation_error": {
        "instagram": (
            (
                "Instagram posts need at least one image or video.",
                {"field": "post.content.mediaUrls", "reason": "required"},
            ),
        ),
        "x": (
            (
                "Text is 312 characters long; X allows 280.",
                {"field": "post.content.text", "reason": "too_long", "limit": 280},
            ),
        ),
        "threads": (
            (
                "Text is 611 characters long; Threads allows 500.",
                {"field": "post.content.text", "reason": "too_long", "limit": 500},
            ),
        ),
        "tiktok": (
            (
                "TikTok only accepts video posts.",
                {"field": "post.content.mediaType", "reason": "unsupported", "allowed": ["video"]},
            ),
        ),
        "youtube": (
            (
                "YouTube needs a video file.",
                {"field": "post.content.mediaUrls", "reason": "required"},
            ),
        ),
        "linkedin": (
            (
                "LinkedIn posts are limited to 3,000 characters.",
                {"field": "post.content.text", "reason": "too_long", "limit": 3000},
            ),
        ),
        "snapchat": (
            (
                "Snapchat Spotlight needs a vertical 9:16 video.",
                {
                    "field": "post.content.mediaUrls[0]",
                    "reason": "aspect_ratio",
                    "expected": "9:16",
                },
            ),
        ),
        "facebook": (
            (
                "Facebook page posts need a caption or media; both are empty.",
                {"field": "post.content.text", "reason": "required"},
            ),
        ),
    },
    "upload_failed": {
        "youtube": (
            (
                "YouTube rejected the upload: the video is 74 s long; Shorts must be 60 s or less.",
                None,
            ),
        ),
        "instagram": (
            (
                "Instagram could not process the media: aspect ratio 2.35:1 is outside "
                "4:5 to 1.91:1.",
                None,
            ),
        ),
        "tiktok": (("TikTok upload failed: the file is 312 MB; the limit is 287 MB.", None),),
        "x": (("X media upload failed: the GIF is 18 MB; the limit is 15 MB.", None),),
        "facebook": (
            (
                "Facebook could not download https://cdn.acme-brand.example/spring/hero.mov "
                "(HTTP 403).",
                None,
            ),
        ),
        "threads": (("Threads could not fetch the image: the media URL returned HTTP 404.", None),),
        "linkedin": (("LinkedIn upload failed: documents must be under 100 MB.", None),),
        "snapchat": (("Snapchat upload failed: HEVC video is not supported; use H.264.", None),),
    },
    "missing_account": {
        "*": (
            (
                "{name} is selected but no {name} account is connected for '{account}'.",
                {"field": "post.content.platform", "reason": "no_connected_account"},
            ),
        ),
    },
    "bad_request": {
        "snapchat": (("Snapchat does not support mediaType 'text'.", None),),
        "linkedin": (("LinkedIn does not support carousels that mix images and video.", None),),
        "x": (("X rejected the post as a duplicate of a recent post.", None),),
        "instagram": (("Instagram allows at most 10 items in a carousel; got 12.", None),),
        "*": (("{name} rejected the request: the scheduled time is in the past.", None),),
    },
    "unauthorized": {
        "tiktok": (("TikTok access token expired and could not be refreshed.", None),),
        "instagram": (
            (
                "Instagram session was invalidated by Meta (password changed). "
                "Re-authorize the account.",
                None,
            ),
        ),
        "facebook": (
            ("Facebook page token was revoked: a page admin removed Soku's permissions.", None),
        ),
        "youtube": (("Google revoked Soku's access to this YouTube channel.", None),),
        "linkedin": (
            ("LinkedIn access token expired (60-day limit) and could not be refreshed.", None),
        ),
        "x": (("X rejected the OAuth token: access was revoked in the X account settings.", None),),
        "threads": (("Threads access token expired and could not be refreshed.", None),),
        "snapchat": (("Snapchat login expired; the account must be re-authorized.", None),),
    },
    "forbidden": {
        "*": (
            ("Your Soku trial has ended. Subscribe to keep publishing.", None),
            ("Your subscription is paused after a failed payment.", None),
            ("Publishing to {name} is not included in your current plan.", None),
            ("Your subscription was cancelled; publishing is disabled.", None),
        ),
    },
    "internal_error": {
        "*": (
            ("Unexpected error while publishing to {name}. It is safe to try again.", None),
            ("The {name} API did not answer within 30 s.", None),
            ("A Soku worker stopped while processing the media.", None),
            ("{name} answered 503 Service Unavailable.", None),
        ),
    },
}

LONG_CAPTION: Final = (
    "We just wrapped our biggest quarter yet, and I want to say thank you — to the team "
    "who shipped forty releases, to the customers who told us (loudly, sometimes) what was "
    "broken, and to the partners who bet on us early. A few things we learned: "
    "1) Ship small, ship often; the scariest releases were always the biggest ones. "
    "2) Talk to customers every week, not every quarter. "
    "3) Write things down; the decision you forget is the one you repeat. "
    "4) Hire people who are kind under pressure. "
) * 4 + "#leadership #startups #growth #thankyou"

CAPTIONS: Final = (
    "Spring drop is live 🌸 Tap the link in bio to shop the collection before it sells out!",
    "New in: the Lisbon capsule. Linen, sand tones, made to last. ☀️",
    "新品上市！限时八折，快来看看 🎉",
    "新しいコレクションが登場しました。週末限定セール開催中！",
    "오늘의 추천 상품 ✨ 지금 바로 확인하세요!",
    "تخفيضات نهاية الأسبوع! خصم ٢٠٪ على جميع المنتجات 🛍️",
    "מבצע סוף שבוע: 20% הנחה על כל הקולקציה",
    "Wir sind live auf der Messe in München – kommt vorbei an Stand B12! 🇩🇪",
    "¡Nuevo episodio del podcast! Hablamos de marketing en 2026 🎙️",
    "Behind the scenes at our studio 🎬 #bts #creators",
    "Thread 🧵 1/7: what we learned shipping 40 releases in a year",
    "[LIVE] Q&A at 5pm CET — bring your questions!",
    "Our team of 👩‍💻👨‍💻 is hiring: backend, design and support. Link below.",
    "Weekend sale: 20% off everything with code SPRING20 🛒",
    "Customer story: how Nordlys cut their response time in half.",
    "Nouvelle collection disponible dès aujourd'hui 🇫🇷 Livraison offerte !",
    "Quick tip: schedule your posts for when your audience is awake 😉",
    "Sneak peek 👀 of what's coming next week…",
)
