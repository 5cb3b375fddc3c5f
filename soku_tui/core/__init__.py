"""Everything below the screens.

Never imports Textual or Rich: tests prove it in a subprocess.
"""
