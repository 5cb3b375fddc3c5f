"""Resolved settings: command-line flags > environment > TOML config file > defaults.

Every setting remembers where its value came from (``Settings.sources``), so
``soku-tui config show`` can answer "why is it using that URL?" without guessing.

The config file is ``$SOKU_CONFIG`` (or ``--config``), else ``config.toml`` in the
user's config directory (``~/.config/soku-tui/config.toml`` on Linux)::

    default_profile = "acme"        # used when neither --profile nor SOKU_PROFILE is given
    interval = 30                   # top-level keys are defaults for every profile

    [profiles.acme]
    api_key_file = "~/.config/soku-tui/acme.key"

    [profiles.globex]
    base_url = "https://api.mysoku.io"
    api_key_file = "~/.config/soku-tui/globex.key"
    read_only = true

The API key is wrapped in :class:`ApiKey`, whose ``repr``/``str`` show only a mask, so
printing or logging a ``Settings`` can never leak it; only the HTTP client calls
:meth:`Settings.api_key_value`.

This module is on the headless path: it must not import Textual or Rich.
"""

from __future__ import annotations

import dataclasses
import hmac
import os
import re
import stat
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any, Final, Literal
from urllib.parse import urlsplit

import platformdirs

APP_NAME: Final = "soku-tui"
KEY_PREFIX: Final = "sk_live_"
_KEY_FORMAT: Final = re.compile(r"sk_live_[A-Za-z0-9_-]+")

DEFAULT_BASE_URL: Final = "https://api.mysoku.io"
DEFAULT_INTERVAL: Final = 30.0
MIN_INTERVAL: Final = 5.0
DEFAULT_SINCE: Final = "7d"
DEFAULT_TIMEOUT: Final = 10.0
DEFAULT_MAX_BODY_BYTES: Final = 10 * 1024 * 1024
DEFAULT_THEME: Final = "textual-dark"

AuthScheme = Literal["header", "bearer"]
Clipboard = Literal["osc52", "off"]


class ConfigError(Exception):
    """A setting has a value we cannot use. The message names the setting, its source,
    what is wrong and an example of a valid value."""


# -- the API key ----------------------------------------------------------------------------


def mask_key(key: str) -> str:
    """``sk_live_…abcd``: the prefix and the last four characters.

    The last four are shown only when at least eight characters stay hidden, so a short
    key (the demo's ``sk_live_demo`` included) is never shown whole.
    """
    prefix = KEY_PREFIX if key.startswith(KEY_PREFIX) else ""
    hidden = len(key) - len(prefix) - 4
    if hidden >= 8:
        return f"{prefix}…{key[-4:]}"
    return f"{prefix}…"


class ApiKey:
    """The Soku API key. Shows only its mask in ``repr``, ``str`` and f-strings."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    @property
    def masked(self) -> str:
        return mask_key(self._value)

    def __repr__(self) -> str:
        return f"ApiKey({self.masked!r})"

    def __str__(self) -> str:
        return self.masked

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, ApiKey):
            return NotImplemented
        return hmac.compare_digest(self._value.encode(), other._value.encode())

    def __hash__(self) -> int:
        return hash(self._value)

    def __reduce__(self) -> Any:
        # Pickling would write the key somewhere we do not control.
        raise TypeError("ApiKey cannot be pickled")


# -- settings -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Settings:
    """Everything soku-tui needs to know before it starts, with where each value came from."""

    api_key: ApiKey | None = None
    api_key_file: Path | None = None
    base_url: str = DEFAULT_BASE_URL
    auth_scheme: AuthScheme = "header"
    interval: float = DEFAULT_INTERVAL
    since: str = DEFAULT_SINCE
    read_only: bool = False
    timeout: float = DEFAULT_TIMEOUT
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES
    clipboard: Clipboard = "osc52"
    notify_bell: bool = False
    notify_desktop: bool = False
    theme: str = DEFAULT_THEME
    mouse: bool = True
    state_dir: Path = field(default_factory=lambda: default_state_dir())
    log_file: Path = field(default_factory=lambda: default_log_file())
    demo: bool = False
    profile: str | None = None
    config_file: Path | None = None
    sources: dict[str, str] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    # Profiles named in the config file, for the "switch profile" palette and messages.
    profiles: tuple[str, ...] = ()

    def api_key_value(self) -> str | None:
        """The real key. Only code that builds the HTTP client should call this."""
        return self.api_key.reveal() if self.api_key else None

    def source(self, name: str) -> str:
        return self.sources.get(name, "default")

    def since_start(self, now: datetime | None = None) -> datetime:
        """The start of the ``since`` window as an aware UTC time."""
        return since_start(self.since, now)

    def describe(self) -> list[tuple[str, str, str]]:
        """(setting, value as shown, source) for every setting; the key is masked."""
        rows: list[tuple[str, str, str]] = []
        for name in SHOWN_SETTINGS:
            rows.append((name, self._shown(name), self.source(name)))
        return rows

    def _shown(self, name: str) -> str:
        value = getattr(self, name)
        if name == "api_key":
            return value.masked if value is not None else "(not set)"
        if value is None:
            return "(none)"
        if isinstance(value, bool):
            return "true" if value else "false"
        if name in ("interval", "timeout"):
            return f"{value:g} s"
        if name == "max_body_bytes":
            return f"{value} bytes ({value / (1024 * 1024):g} MB)"
        return str(value)

    def with_demo(self, *, base_url: str, api_key: str, state_dir: Path | None) -> Settings:
        """These settings pointed at an embedded demo server.

        ``state_dir`` replaces the state directory only when given; the CLI passes a
        temporary one unless the user chose a state directory, because every demo server
        starts from the same seeded posts and a ledger from an earlier demo would
        otherwise refuse the "same" retry again.
        """
        sources = dict(self.sources)
        sources["base_url"] = "demo server"
        sources["api_key"] = "demo server"
        changes: dict[str, Any] = {
            "base_url": base_url,
            "api_key": ApiKey(api_key),
            "api_key_file": None,
            "demo": True,
            "sources": sources,
        }
        sources.pop("api_key_file", None)
        if state_dir is not None:
            changes["state_dir"] = state_dir
            sources["state_dir"] = "demo (temporary)"
        return dataclasses.replace(self, **changes)


SHOWN_SETTINGS: Final = (
    "profile",
    "config_file",
    "api_key",
    "api_key_file",
    "base_url",
    "auth_scheme",
    "interval",
    "since",
    "read_only",
    "timeout",
    "max_body_bytes",
    "clipboard",
    "notify_bell",
    "notify_desktop",
    "theme",
    "mouse",
    "state_dir",
    "log_file",
    "demo",
)


def default_config_file() -> Path:
    return platformdirs.user_config_path(APP_NAME) / "config.toml"


def default_state_dir() -> Path:
    return platformdirs.user_state_path(APP_NAME)


def default_log_file() -> Path:
    return platformdirs.user_log_path(APP_NAME) / "soku-tui.log"


# -- parsing one value ----------------------------------------------------------------------


class _Invalid(ValueError):
    """A value could not be used; the message says what is wrong (no setting name)."""


_DURATION: Final = re.compile(r"(\d+(?:\.\d+)?)\s*(ms|s|sec|secs|m|min|mins|h|d|w)?", re.I)
_DURATION_UNITS: Final = {
    None: 1.0,
    "ms": 0.001,
    "s": 1.0,
    "sec": 1.0,
    "secs": 1.0,
    "m": 60.0,
    "min": 60.0,
    "mins": 60.0,
    "h": 3600.0,
    "d": 86400.0,
    "w": 604800.0,
}


def parse_seconds(value: object) -> float:
    """A number of seconds: ``30``, ``2.5``, ``"30s"``, ``"2m"``, ``"1h"``."""
    if isinstance(value, bool):
        raise _Invalid(f"{value!r} is not a duration")
    if isinstance(value, int | float):
        seconds = float(value)
    elif isinstance(value, str):
        match = _DURATION.fullmatch(value.strip())
        if not match:
            raise _Invalid(f"{_shown_value(value)} is not a duration")
        seconds = float(match.group(1)) * _DURATION_UNITS[_unit(match.group(2))]
    else:
        raise _Invalid(f"{_shown_value(value)} is not a duration")
    if seconds != seconds or seconds < 0 or seconds == float("inf"):
        raise _Invalid(f"{_shown_value(value)} is not a positive duration")
    return seconds


def _unit(raw: str | None) -> str | None:
    return raw.lower() if raw else None


_SINCE_RELATIVE: Final = re.compile(r"(\d+)\s*(m|h|d|w)", re.I)


def parse_since(text: str) -> timedelta | datetime:
    """``"48h"``, ``"7d"``, ``"30m"``, ``"2w"`` (a window back from now) or an ISO date/time.

    Raises ``ValueError`` with a sentence saying what is wrong.
    """
    raw = text.strip()
    match = _SINCE_RELATIVE.fullmatch(raw)
    if match:
        amount = int(match.group(1))
        if amount <= 0:
            raise _Invalid(f"{_shown_value(text)} is an empty window")
        unit = match.group(2).lower()
        return timedelta(seconds=amount * _DURATION_UNITS[unit])
    iso = raw[:-1] + "+00:00" if raw.endswith(("Z", "z")) else raw
    try:
        if len(iso) == 10:
            day = date.fromisoformat(iso)
            return datetime(day.year, day.month, day.day, tzinfo=UTC)
        moment = datetime.fromisoformat(iso)
    except ValueError:
        raise _Invalid(
            f"{_shown_value(text)} is neither a window like 7d / 48h / 30m nor an ISO date"
        ) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def since_start(text: str, now: datetime | None = None) -> datetime:
    """The start of a ``since`` window as an aware UTC time."""
    parsed = parse_since(text)
    if isinstance(parsed, datetime):
        return parsed.astimezone(UTC)
    current = now if now is not None else datetime.now(UTC)
    return current - parsed


_TRUE: Final = frozenset({"1", "true", "yes", "on"})
_FALSE: Final = frozenset({"0", "false", "no", "off", ""})


def parse_bool(value: object) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str):
        lowered = value.strip().lower()
        if lowered in _TRUE:
            return True
        if lowered in _FALSE:
            return False
    raise _Invalid(f"{_shown_value(value)} is not true or false")


_SIZE: Final = re.compile(r"(\d+(?:\.\d+)?)\s*(b|kb|k|kib|mb|m|mib|gb|g|gib)?", re.I)
_SIZE_UNITS: Final = {
    None: 1,
    "b": 1,
    "k": 1024,
    "kb": 1024,
    "kib": 1024,
    "m": 1024**2,
    "mb": 1024**2,
    "mib": 1024**2,
    "g": 1024**3,
    "gb": 1024**3,
    "gib": 1024**3,
}


def parse_size(value: object) -> int:
    """Bytes: ``10485760``, ``"10MB"``, ``"512k"`` (binary units)."""
    if isinstance(value, bool):
        raise _Invalid(f"{value!r} is not a size")
    if isinstance(value, int):
        size = value
    elif isinstance(value, str):
        match = _SIZE.fullmatch(value.strip())
        if not match:
            raise _Invalid(f"{_shown_value(value)} is not a size")
        size = int(float(match.group(1)) * _SIZE_UNITS[_unit(match.group(2))])
    else:
        raise _Invalid(f"{_shown_value(value)} is not a size")
    if size < 1024:
        raise _Invalid(f"{_shown_value(value)} is below the 1 KB minimum")
    return size


def _parse_base_url(value: object) -> str:
    text = _parse_text(value).strip().rstrip("/")
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise _Invalid(f"{_shown_value(value)} is not an http(s) URL")
    if parts.query or parts.fragment:
        raise _Invalid(f"{_shown_value(value)} must not carry a query or fragment")
    return text


def _choice(*allowed: str) -> Callable[[object], str]:
    def parse(value: object) -> str:
        text = _parse_text(value).strip().lower()
        if text not in allowed:
            raise _Invalid(f"{_shown_value(value)} is not one of: {', '.join(allowed)}")
        return text

    return parse


def _parse_text(value: object) -> str:
    if not isinstance(value, str):
        raise _Invalid(f"{_shown_value(value)} is not a string")
    return value


def _parse_nonempty(value: object) -> str:
    text = _parse_text(value).strip()
    if not text:
        raise _Invalid("it is empty")
    return text


def _parse_path(value: object) -> Path:
    if isinstance(value, Path):
        return value.expanduser()
    return Path(_parse_nonempty(value)).expanduser()


def _parse_since_setting(value: object) -> str:
    # TOML has date literals: ``since = 2026-03-01`` arrives as a date, not a string.
    if isinstance(value, date):
        value = value.isoformat()
    text = _parse_nonempty(value)
    parse_since(text)
    return text


def _parse_timeout(value: object) -> float:
    seconds = parse_seconds(value)
    if seconds <= 0:
        raise _Invalid(f"{_shown_value(value)} must be more than 0 seconds")
    return seconds


def _parse_key(value: object) -> str:
    # Never echo the value: it is (meant to be) a secret.
    if not isinstance(value, str):
        raise _Invalid("the key must be a string")
    text = value.strip()
    if not text:
        raise _Invalid("it is empty")
    return text


def _shown_value(value: object) -> str:
    shown = repr(value)
    return shown if len(shown) <= 60 else shown[:57] + "…"


@dataclass(frozen=True, slots=True)
class _Spec:
    parse: Callable[[object], Any]
    env: str | None
    flag: str | None
    example: str  # a valid value, written as it would appear in TOML


_SPECS: Final[dict[str, _Spec]] = {
    "api_key": _Spec(_parse_key, "SOKU_API_KEY", None, '"sk_live_…"'),
    "api_key_file": _Spec(
        _parse_path, "SOKU_API_KEY_FILE", "--api-key-file", '"~/.config/soku-tui/key"'
    ),
    "base_url": _Spec(_parse_base_url, "SOKU_BASE_URL", "--base-url", '"https://api.mysoku.io"'),
    "auth_scheme": _Spec(
        _choice("header", "bearer"), "SOKU_AUTH_SCHEME", "--auth-scheme", '"header"'
    ),
    "interval": _Spec(parse_seconds, "SOKU_INTERVAL", "--interval", "30"),
    "since": _Spec(_parse_since_setting, "SOKU_SINCE", "--since", '"7d"'),
    "read_only": _Spec(parse_bool, "SOKU_READ_ONLY", "--read-only", "true"),
    "timeout": _Spec(_parse_timeout, "SOKU_TIMEOUT", None, "10"),
    "max_body_bytes": _Spec(parse_size, "SOKU_MAX_BODY_BYTES", None, '"10MB"'),
    "clipboard": _Spec(_choice("osc52", "off"), "SOKU_CLIPBOARD", None, '"osc52"'),
    "notify_bell": _Spec(parse_bool, None, None, "true"),
    "notify_desktop": _Spec(parse_bool, None, None, "true"),
    "theme": _Spec(_parse_nonempty, "SOKU_THEME", None, '"textual-dark"'),
    "mouse": _Spec(parse_bool, None, "--no-mouse", "false"),
    "state_dir": _Spec(_parse_path, "SOKU_STATE_DIR", None, '"~/.local/state/soku-tui"'),
    "log_file": _Spec(_parse_path, "SOKU_LOG_FILE", None, '"~/soku-tui.log"'),
}
FILE_ONLY_KEYS: Final = frozenset({"default_profile", "profiles"})


def env_var(name: str) -> str | None:
    """The environment variable of a setting, if it has one (for docs and messages)."""
    return _SPECS[name].env


def _example(name: str, source: str) -> str:
    spec = _SPECS[name]
    bare = spec.example.strip('"')
    if source.startswith("env") and spec.env:
        return f"{spec.env}={bare}"
    if source == "flag" and spec.flag:
        return spec.flag if spec.flag == "--no-mouse" else f"{spec.flag} {bare}"
    return f"{name} = {spec.example}"


def _convert(name: str, raw: object, source: str) -> Any:
    try:
        return _SPECS[name].parse(raw)
    except _Invalid as exc:
        raise ConfigError(
            f"{name} (from {source}): {exc}; for example {_example(name, source)}"
        ) from None


# -- the config file ------------------------------------------------------------------------


@dataclass(slots=True)
class _FileLayer:
    path: Path
    values: dict[str, tuple[object, str]]  # setting → (raw value, source)
    profiles: tuple[str, ...]
    default_profile: str | None
    holds_key: bool


def _read_config_file(path: Path, explicit: bool, origin: str) -> dict[str, Any] | None:
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        if explicit:
            fix = "check the --config path" if origin == "flag" else "check SOKU_CONFIG"
            raise ConfigError(
                f"config file {path} (from {origin}) does not exist; create it or {fix} "
                f"(without either, soku-tui reads {default_config_file()})"
            ) from None
        return None
    except OSError as exc:
        raise ConfigError(f"config file {path} cannot be read: {exc.strerror}") from None
    try:
        return tomllib.loads(data.decode("utf-8"))
    except UnicodeDecodeError:
        raise ConfigError(f"config file {path} is not UTF-8 text") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(
            f"config file {path} is not valid TOML ({exc}); for example: interval = 30"
        ) from None


def _file_layer(
    path: Path, doc: dict[str, Any], profile: str | None, warnings: list[str]
) -> tuple[_FileLayer, str | None]:
    """The settings the file gives for ``profile`` (top level, then the profile's table).

    Returns the layer and the profile the file itself picks (``default_profile``).
    """
    profiles_raw = doc.get("profiles", {})
    if not isinstance(profiles_raw, dict) or not all(
        isinstance(v, dict) for v in profiles_raw.values()
    ):
        raise ConfigError(
            f"config file {path}: 'profiles' must hold tables; for example [profiles.acme]"
        )
    default_profile = doc.get("default_profile")
    if default_profile is not None and not isinstance(default_profile, str):
        raise ConfigError(
            f"config file {path}: default_profile must be a string; "
            'for example default_profile = "acme"'
        )
    values: dict[str, tuple[object, str]] = {}
    where = f"config file {path}"
    _collect(doc, where, values, warnings, top_level=True)
    chosen = profile or default_profile
    holds_key = "api_key" in doc or any("api_key" in table for table in profiles_raw.values())
    if chosen is not None and chosen in profiles_raw:
        _collect(
            profiles_raw[chosen], f"{where} [profiles.{chosen}]", values, warnings, top_level=False
        )
    return (
        _FileLayer(path, values, tuple(profiles_raw), default_profile, holds_key),
        default_profile,
    )


def _collect(
    table: dict[str, Any],
    where: str,
    values: dict[str, tuple[object, str]],
    warnings: list[str],
    *,
    top_level: bool,
) -> None:
    for key, raw in table.items():
        if key in _SPECS:
            values[key] = (raw, where)
        elif not (top_level and key in FILE_ONLY_KEYS):
            warnings.append(f"{where}: unknown setting {key!r} ignored")


def _loose_permissions(path: Path) -> bool:
    if os.name != "posix":
        return False
    try:
        mode = path.stat().st_mode
    except OSError:
        return False
    return bool(mode & (stat.S_IRGRP | stat.S_IROTH))


def _permission_warning(what: str, path: Path) -> str:
    mode = stat.S_IMODE(path.stat().st_mode)
    return (
        f"{what} {path} is readable by other users (mode {mode:04o}) and holds your API key; "
        f"run: chmod 600 {path}"
    )


# -- resolving ------------------------------------------------------------------------------


def load_settings(flags: Mapping[str, object], env: Mapping[str, str] | None = None) -> Settings:
    """Resolve every setting: flags > environment > config file > defaults.

    ``flags`` maps setting names to values from the command line (``None`` means "not
    given"); besides the settings it may hold ``profile``, ``config`` (a config file
    path) and ``demo``. ``env`` defaults to ``os.environ``. Raises :class:`ConfigError`.
    A missing key is *not* an error here (demo mode needs none); see :func:`missing_key_help`.
    """
    environ: Mapping[str, str] = os.environ if env is None else env
    given = {name: value for name, value in flags.items() if value is not None}
    warnings: list[str] = []
    sources: dict[str, str] = {}

    # Which file, which profile.
    config_path, config_origin = _config_path(given, environ)
    doc = _read_config_file(config_path, config_origin != "default", config_origin)
    profile, profile_source = _flag_or_env(given, environ, "profile", "SOKU_PROFILE")
    layer: _FileLayer | None = None
    if doc is not None:
        layer, file_default = _file_layer(config_path, doc, profile, warnings)
        if profile is None and file_default is not None:
            profile, profile_source = file_default, f"config file {config_path}"
        if profile is not None and profile not in layer.profiles:
            known = ", ".join(layer.profiles) or "none"
            raise ConfigError(
                f"profile {profile!r} (from {profile_source}) is not in config file "
                f"{config_path} (profiles there: {known}); add a [profiles.{profile}] table"
            )
    elif profile is not None:
        raise ConfigError(
            f"profile {profile!r} (from {profile_source}) needs a config file, but "
            f"{config_path} does not exist; create it with a [profiles.{profile}] table"
        )
    if profile is not None:
        sources["profile"] = profile_source
    if doc is not None:
        sources["config_file"] = config_origin

    # Every setting from its highest-precedence layer.
    values: dict[str, Any] = {}
    for name, spec in _SPECS.items():
        raw, source = _pick(name, spec, given, environ, layer)
        if source is None:
            continue
        values[name] = _convert(name, raw, source)
        sources[name] = source

    key, key_source, key_file = _resolve_key(values, sources, warnings)
    if key_source is None:
        sources.pop("api_key", None)
    else:
        sources["api_key"] = key_source
    if key is not None and not _KEY_FORMAT.fullmatch(key):
        warnings.append(
            f"the API key (from {key_source}) does not look like a Soku key "
            f"({KEY_PREFIX} followed by letters, digits, _ or -); using it anyway"
        )
    if layer is not None and layer.holds_key and _loose_permissions(layer.path):
        warnings.append(_permission_warning("config file", layer.path))

    interval = values.get("interval", DEFAULT_INTERVAL)
    if interval < MIN_INTERVAL:
        warnings.append(
            f"interval {interval:g} s (from {sources['interval']}) is below the "
            f"{MIN_INTERVAL:g} s floor; using {MIN_INTERVAL:g} s"
        )
        values["interval"] = MIN_INTERVAL

    base_url = values.get("base_url", DEFAULT_BASE_URL)
    host = urlsplit(base_url).hostname or ""
    if base_url.startswith("http://") and host not in ("127.0.0.1", "localhost", "::1"):
        warnings.append(
            f"base_url {base_url} (from {sources['base_url']}) is plain http: "
            "the API key would cross the network unencrypted; use https"
        )

    values.pop("api_key", None)
    values.pop("api_key_file", None)
    return Settings(
        api_key=ApiKey(key) if key is not None else None,
        api_key_file=key_file,
        demo=bool(given.get("demo", False)),
        profile=profile,
        config_file=config_path if doc is not None else None,
        sources=sources,
        warnings=warnings,
        profiles=layer.profiles if layer is not None else (),
        **values,
    )


def _config_path(given: Mapping[str, object], environ: Mapping[str, str]) -> tuple[Path, str]:
    if "config" in given:
        return Path(str(given["config"])).expanduser(), "flag"
    if environ.get("SOKU_CONFIG"):
        return Path(environ["SOKU_CONFIG"]).expanduser(), "env SOKU_CONFIG"
    return default_config_file(), "default"


def _flag_or_env(
    given: Mapping[str, object], environ: Mapping[str, str], name: str, var: str
) -> tuple[str | None, str]:
    if name in given:
        return str(given[name]), "flag"
    if environ.get(var):
        return environ[var], f"env {var}"
    return None, "default"


def _pick(
    name: str,
    spec: _Spec,
    given: Mapping[str, object],
    environ: Mapping[str, str],
    layer: _FileLayer | None,
) -> tuple[object, str | None]:
    if name in given:
        return given[name], "flag"
    # An empty variable (``SOKU_BASE_URL=``) counts as unset, as most tools treat it.
    if spec.env and environ.get(spec.env):
        return environ[spec.env], f"env {spec.env}"
    if layer is not None and name in layer.values:
        return layer.values[name]
    return None, None


_LAYER_RANK: Final = {"flag": 0, "env": 1, "config": 2}


def _rank(source: str) -> int:
    return _LAYER_RANK.get(source.split(" ", 1)[0], 3)


def _resolve_key(
    values: dict[str, Any], sources: dict[str, str], warnings: list[str]
) -> tuple[str | None, str | None, Path | None]:
    """The key, its source and the key file (if the key came from one).

    ``api_key`` and ``api_key_file`` compete as one setting: the higher layer wins; in the
    same layer the key itself wins, with a warning, because the user said both.
    """
    key: str | None = values.get("api_key")
    key_file: Path | None = values.get("api_key_file")
    if key is not None and key_file is not None:
        key_rank, file_rank = _rank(sources["api_key"]), _rank(sources["api_key_file"])
        if file_rank < key_rank:
            key = None
        else:
            sources.pop("api_key_file", None)
            if key_rank == file_rank:
                warnings.append(
                    f"both api_key and api_key_file are set ({sources['api_key']}); "
                    "using api_key and ignoring the file"
                )
            return key, sources["api_key"], None
    if key is not None:
        return key, sources["api_key"], None
    if key_file is None:
        return None, None, None
    file_source = sources["api_key_file"]
    try:
        text = key_file.read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        raise ConfigError(
            f"api_key_file (from {file_source}): {key_file} does not exist; "
            f"put your key in it and run: chmod 600 {key_file}"
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) else "it is not UTF-8 text"
        raise ConfigError(
            f"api_key_file (from {file_source}): cannot read {key_file}: {reason}"
        ) from None
    if not text:
        raise ConfigError(
            f"api_key_file (from {file_source}): {key_file} is empty; put your key "
            "(sk_live_…) on its first line"
        )
    if _loose_permissions(key_file):
        warnings.append(_permission_warning("key file", key_file))
    # Only the first line: a trailing comment or second line must not become the key.
    return text.splitlines()[0].strip(), f"key file {key_file}", key_file


def missing_key_help(settings: Settings) -> str:
    """Exactly how to give soku-tui a key (printed when there is none outside demo mode)."""
    config = settings.config_file or default_config_file()
    lines = [
        "No Soku API key is set. Create one in Soku under Settings > API, then either:",
        "  • put it in a file only you can read and point soku-tui at it:",
        "        umask 077 && printf '%s\\n' 'sk_live_…' > ~/.config/soku-tui/key",
        "        export SOKU_API_KEY_FILE=~/.config/soku-tui/key   (or --api-key-file PATH)",
        "  • or export it for this shell:  export SOKU_API_KEY=sk_live_…",
        f"  • or add it to the config file {config} (then: chmod 600 {config}):",
    ]
    if settings.profile:
        lines.append(f"        [profiles.{settings.profile}]")
    elif settings.profiles:
        lines.append(f"        [profiles.{settings.profiles[0]}]")
    lines.append('        api_key_file = "~/.config/soku-tui/key"')
    if settings.profiles and not settings.profile:
        lines.append(
            f"    (the config file defines profiles {', '.join(settings.profiles)} but none "
            'is selected: use --profile NAME, SOKU_PROFILE, or default_profile = "NAME")'
        )
    lines.append("There is no --api-key flag on purpose: a key on the command line leaks")
    lines.append("into `ps` and shell history. To try soku-tui without a key: soku-tui --demo")
    return "\n".join(lines)


__all__ = [
    "DEFAULT_BASE_URL",
    "MIN_INTERVAL",
    "ApiKey",
    "ConfigError",
    "Settings",
    "default_config_file",
    "default_log_file",
    "default_state_dir",
    "env_var",
    "load_settings",
    "mask_key",
    "missing_key_help",
    "parse_bool",
    "parse_seconds",
    "parse_since",
    "parse_size",
    "since_start",
]
