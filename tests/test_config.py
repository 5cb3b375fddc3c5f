"""Settings resolution: what a user gets from flags, environment, config file and profiles."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from soku_tui.config import (
    ApiKey,
    ConfigError,
    Settings,
    load_settings,
    mask_key,
    missing_key_help,
    parse_since,
)

KEY = "sk_live_Zq3x9PvT7mRk2LwA8yNc"
OTHER_KEY = "sk_live_Other0000KeyValue42"


@pytest.fixture(autouse=True)
def _isolated_dirs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # platformdirs reads XDG_* at call time: keep the real user's config out of every test.
    for name in ("XDG_CONFIG_HOME", "XDG_STATE_HOME", "XDG_CACHE_HOME"):
        monkeypatch.setenv(name, str(tmp_path / name.lower()))


def write_config(tmp_path: Path, text: str, mode: int = 0o600) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(text, encoding="utf-8")
    path.chmod(mode)
    return path


def write_key(tmp_path: Path, key: str = KEY, mode: int = 0o600, name: str = "key") -> Path:
    path = tmp_path / name
    path.write_text(f"  {key}\n", encoding="utf-8")
    path.chmod(mode)
    return path


def test_defaults_when_nothing_is_configured() -> None:
    settings = load_settings({}, env={})
    assert settings.base_url == "https://api.mysoku.io"
    assert settings.interval == 30
    assert settings.since == "7d"
    assert settings.timeout == 10
    assert settings.max_body_bytes == 10 * 1024 * 1024
    assert settings.auth_scheme == "header"
    assert settings.clipboard == "osc52"
    assert (settings.read_only, settings.notify_bell, settings.notify_desktop) == (
        False,
        False,
        False,
    )
    assert settings.mouse is True
    assert settings.api_key is None
    assert settings.state_dir.name == "soku-tui"
    assert settings.source("base_url") == "default"
    assert settings.warnings == []


@pytest.mark.parametrize(
    ("use_flag", "use_env", "use_file", "expected_url", "expected_source"),
    [
        (True, True, True, "https://flag.example", "flag"),
        (False, True, True, "https://env.example", "env SOKU_BASE_URL"),
        (False, False, True, "https://file.example", "config file"),
        (False, False, False, "https://api.mysoku.io", "default"),
    ],
)
def test_flag_beats_env_beats_file_beats_default(
    tmp_path: Path,
    use_flag: bool,
    use_env: bool,
    use_file: bool,
    expected_url: str,
    expected_source: str,
) -> None:
    env = {"SOKU_BASE_URL": "https://env.example"} if use_env else {}
    if use_file:
        env["SOKU_CONFIG"] = str(write_config(tmp_path, 'base_url = "https://file.example/"\n'))
    flags = {"base_url": "https://flag.example" if use_flag else None}
    settings = load_settings(flags, env=env)
    assert settings.base_url == expected_url  # the trailing slash is dropped
    assert settings.source("base_url").startswith(expected_source)


def test_every_layer_is_parsed_with_the_same_rules(tmp_path: Path) -> None:
    config = write_config(
        tmp_path,
        'interval = "2m"\nread_only = true\nmax_body_bytes = "20MB"\nsince = 2026-03-01\n'
        'clipboard = "off"\nnotify_bell = true\n',
    )
    settings = load_settings(
        {"auth_scheme": "BEARER"}, env={"SOKU_CONFIG": str(config), "SOKU_TIMEOUT": "2.5"}
    )
    assert settings.interval == 120
    assert settings.read_only is True
    assert settings.max_body_bytes == 20 * 1024 * 1024
    assert settings.since_start() == datetime(2026, 3, 1, tzinfo=UTC)
    assert settings.clipboard == "off"
    assert settings.notify_bell is True
    assert settings.timeout == 2.5
    assert settings.auth_scheme == "bearer"
    assert settings.source("timeout") == "env SOKU_TIMEOUT"
    assert settings.source("interval") == f"config file {config}"


def test_empty_environment_variable_counts_as_unset(tmp_path: Path) -> None:
    config = write_config(tmp_path, 'base_url = "https://file.example"\n')
    settings = load_settings({}, env={"SOKU_CONFIG": str(config), "SOKU_BASE_URL": ""})
    assert settings.base_url == "https://file.example"


PROFILES = """
default_profile = "acme"
interval = 60
base_url = "https://shared.example"

[profiles.acme]
base_url = "https://acme.example"

[profiles.globex]
read_only = true
"""


def test_profile_table_overrides_top_level_defaults(tmp_path: Path) -> None:
    config = write_config(tmp_path, PROFILES)
    settings = load_settings({}, env={"SOKU_CONFIG": str(config)})
    assert settings.profile == "acme"
    assert settings.base_url == "https://acme.example"
    assert settings.source("base_url") == f"config file {config} [profiles.acme]"
    assert settings.interval == 60  # top-level key: a default for every profile
    assert settings.source("interval") == f"config file {config}"
    assert settings.profiles == ("acme", "globex")


def test_profile_chosen_by_flag_beats_env_beats_default_profile(tmp_path: Path) -> None:
    config = write_config(tmp_path, PROFILES)
    by_env = load_settings({}, env={"SOKU_CONFIG": str(config), "SOKU_PROFILE": "globex"})
    assert (by_env.profile, by_env.read_only, by_env.base_url) == (
        "globex",
        True,
        "https://shared.example",
    )
    assert by_env.source("profile") == "env SOKU_PROFILE"
    by_flag = load_settings(
        {"profile": "acme"}, env={"SOKU_CONFIG": str(config), "SOKU_PROFILE": "globex"}
    )
    assert (by_flag.profile, by_flag.read_only) == ("acme", False)
    assert by_flag.source("profile") == "flag"


def test_environment_still_beats_the_profile(tmp_path: Path) -> None:
    config = write_config(tmp_path, PROFILES)
    settings = load_settings(
        {}, env={"SOKU_CONFIG": str(config), "SOKU_BASE_URL": "https://env.example"}
    )
    assert settings.base_url == "https://env.example"


def test_unknown_profile_names_the_profiles_that_exist(tmp_path: Path) -> None:
    config = write_config(tmp_path, PROFILES)
    with pytest.raises(ConfigError) as err:
        load_settings({"profile": "initech"}, env={"SOKU_CONFIG": str(config)})
    assert "initech" in str(err.value)
    assert "acme, globex" in str(err.value)


def test_key_file_is_read_stripped_and_named_as_the_source(tmp_path: Path) -> None:
    key_file = write_key(tmp_path)
    settings = load_settings({}, env={"SOKU_API_KEY_FILE": str(key_file)})
    assert settings.api_key_value() == KEY
    assert settings.source("api_key") == f"key file {key_file}"
    assert settings.source("api_key_file") == "env SOKU_API_KEY_FILE"
    assert settings.warnings == []


def test_key_file_flag_beats_key_in_environment(tmp_path: Path) -> None:
    key_file = write_key(tmp_path, OTHER_KEY)
    settings = load_settings({"api_key_file": str(key_file)}, env={"SOKU_API_KEY": KEY})
    assert settings.api_key_value() == OTHER_KEY


def test_key_in_environment_beats_key_file_in_config(tmp_path: Path) -> None:
    key_file = write_key(tmp_path, OTHER_KEY)
    config = write_config(tmp_path, f'api_key_file = "{key_file}"\n')
    settings = load_settings({}, env={"SOKU_CONFIG": str(config), "SOKU_API_KEY": KEY})
    assert settings.api_key_value() == KEY
    assert settings.source("api_key") == "env SOKU_API_KEY"


def test_missing_key_file_is_an_error_naming_the_path(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as err:
        load_settings({}, env={"SOKU_API_KEY_FILE": str(tmp_path / "nope")})
    assert "nope" in str(err.value)
    assert "env SOKU_API_KEY_FILE" in str(err.value)


@pytest.mark.skipif(os.name != "posix", reason="POSIX permissions")
def test_key_file_readable_by_others_warns(tmp_path: Path) -> None:
    key_file = write_key(tmp_path, mode=0o644)
    settings = load_settings({"api_key_file": str(key_file)}, env={})
    assert len(settings.warnings) == 1
    assert "0644" in settings.warnings[0]
    assert f"chmod 600 {key_file}" in settings.warnings[0]


@pytest.mark.skipif(os.name != "posix", reason="POSIX permissions")
def test_config_file_holding_a_key_and_readable_by_others_warns(tmp_path: Path) -> None:
    config = write_config(tmp_path, f'[profiles.a]\napi_key = "{KEY}"\n', mode=0o644)
    settings = load_settings({"profile": "a"}, env={"SOKU_CONFIG": str(config)})
    assert settings.api_key_value() == KEY
    assert any("config file" in w and "0644" in w for w in settings.warnings)
    assert not any(KEY in w for w in settings.warnings)


@pytest.mark.skipif(os.name != "posix", reason="POSIX permissions")
def test_config_file_without_a_key_may_be_world_readable(tmp_path: Path) -> None:
    config = write_config(tmp_path, "interval = 60\n", mode=0o644)
    assert load_settings({}, env={"SOKU_CONFIG": str(config)}).warnings == []


def test_the_key_never_appears_in_repr_or_str(tmp_path: Path) -> None:
    settings = load_settings({}, env={"SOKU_API_KEY": KEY})
    for text in (repr(settings), str(settings), f"{settings.api_key}", repr(settings.api_key)):
        assert KEY not in text
    assert "sk_live_…yNc" not in repr(settings)
    assert "sk_live_…8yNc" in repr(settings)
    shown = dict((name, value) for name, value, _ in settings.describe())
    assert shown["api_key"] == "sk_live_…8yNc"


@pytest.mark.parametrize(
    ("key", "masked"),
    [
        ("sk_live_Zq3x9PvT7mRk2LwA8yNc", "sk_live_…8yNc"),
        ("sk_live_demo", "sk_live_…"),  # 12 chars: the last four would be the whole secret
        ("sk_live_ab", "sk_live_…"),
        ("not-a-soku-key-at-all", "…-all"),
    ],
)
def test_mask(key: str, masked: str) -> None:
    assert mask_key(key) == masked
    assert key not in repr(ApiKey(key))


def test_wrong_key_format_is_a_warning_not_an_error() -> None:
    settings = load_settings({}, env={"SOKU_API_KEY": "pk_test_whatever123456"})
    assert settings.api_key_value() == "pk_test_whatever123456"
    assert any("does not look like a Soku key" in w for w in settings.warnings)
    assert not any("pk_test_whatever123456" in w for w in settings.warnings)


def test_long_key_of_the_right_format_gives_no_warning() -> None:
    settings = load_settings({}, env={"SOKU_API_KEY": "sk_live_" + "a" * 200})
    assert settings.warnings == []


def test_interval_below_the_floor_is_clamped_with_a_warning() -> None:
    settings = load_settings({"interval": "2"}, env={})
    assert settings.interval == 5
    assert settings.warnings == ["interval 2 s (from flag) is below the 5 s floor; using 5 s"]


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({"SOKU_INTERVAL": "soon"}, ["interval", "env SOKU_INTERVAL", "SOKU_INTERVAL=30"]),
        ({"SOKU_AUTH_SCHEME": "basic"}, ["auth_scheme", "header, bearer", "SOKU_AUTH_SCHEME="]),
        ({"SOKU_READ_ONLY": "maybe"}, ["read_only", "not true or false", "SOKU_READ_ONLY=true"]),
        ({"SOKU_SINCE": "yesterday"}, ["since", "7d", "SOKU_SINCE=7d"]),
        ({"SOKU_BASE_URL": "api.mysoku.io"}, ["base_url", "not an http(s) URL"]),
        ({"SOKU_CLIPBOARD": "xclip"}, ["clipboard", "osc52, off"]),
        ({"SOKU_TIMEOUT": "0"}, ["timeout", "more than 0"]),
    ],
)
def test_invalid_environment_value_says_which_where_what_and_how(
    env: dict[str, str], expected: list[str]
) -> None:
    with pytest.raises(ConfigError) as err:
        load_settings({}, env=env)
    for part in expected:
        assert part in str(err.value)


def test_invalid_file_value_names_the_file_and_gives_a_toml_example(tmp_path: Path) -> None:
    config = write_config(tmp_path, "[profiles.p]\ninterval = true\n")
    with pytest.raises(ConfigError) as err:
        load_settings({"profile": "p"}, env={"SOKU_CONFIG": str(config)})
    message = str(err.value)
    assert f"config file {config} [profiles.p]" in message
    assert "interval = 30" in message


def test_invalid_flag_value_gives_a_flag_example() -> None:
    with pytest.raises(ConfigError, match="--interval 30"):
        load_settings({"interval": "every now and then"}, env={})


def test_broken_toml_is_a_clear_error(tmp_path: Path) -> None:
    config = write_config(tmp_path, "interval = = 3\n")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_settings({}, env={"SOKU_CONFIG": str(config)})


def test_explicit_config_file_that_does_not_exist_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="does not exist"):
        load_settings({"config": str(tmp_path / "missing.toml")}, env={})


def test_unknown_setting_in_the_file_warns(tmp_path: Path) -> None:
    config = write_config(tmp_path, "intervall = 30\n")
    settings = load_settings({}, env={"SOKU_CONFIG": str(config)})
    assert settings.warnings == [f"config file {config}: unknown setting 'intervall' ignored"]


def test_plain_http_to_a_remote_host_warns() -> None:
    settings = load_settings({"base_url": "http://api.example.com"}, env={})
    assert any("unencrypted" in w for w in settings.warnings)
    assert load_settings({"base_url": "http://127.0.0.1:8765"}, env={}).warnings == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("48h", timedelta(hours=48)),
        ("7d", timedelta(days=7)),
        ("30m", timedelta(minutes=30)),
        ("2026-03-01", datetime(2026, 3, 1, tzinfo=UTC)),
        ("2026-03-01T12:30:00Z", datetime(2026, 3, 1, 12, 30, tzinfo=UTC)),
    ],
)
def test_since_accepts_windows_and_iso_dates(text: str, expected: object) -> None:
    assert parse_since(text) == expected


def test_since_start_counts_back_from_now() -> None:
    now = datetime(2026, 3, 8, tzinfo=UTC)
    settings = load_settings({"since": "7d"}, env={})
    assert settings.since_start(now) == datetime(2026, 3, 1, tzinfo=UTC)


def test_missing_key_help_says_exactly_how_to_set_it(tmp_path: Path) -> None:
    config = write_config(tmp_path, PROFILES)
    settings = load_settings({}, env={"SOKU_CONFIG": str(config)})
    help_text = missing_key_help(settings)
    for part in ("SOKU_API_KEY=", "SOKU_API_KEY_FILE", str(config), "[profiles.acme]", "--demo"):
        assert part in help_text


def test_with_demo_points_at_the_demo_server(tmp_path: Path) -> None:
    settings = load_settings({"demo": True}, env={})
    demo = settings.with_demo(
        base_url="http://127.0.0.1:1234", api_key="sk_live_demo", state_dir=tmp_path
    )
    assert isinstance(demo, Settings)
    assert (demo.demo, demo.base_url, demo.api_key_value()) == (
        True,
        "http://127.0.0.1:1234",
        "sk_live_demo",
    )
    assert demo.source("base_url") == "demo server"
    assert demo.state_dir == tmp_path
