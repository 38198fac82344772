"""Only answers that parse are cached, recorded as sources or served offline: an HTML error page
with status 200, a redirect to garbage or a JSON bomb must not poison the next seven days."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from drafter.errors import MalformedResponse, OfflineMiss
from drafter.sources import ctgov
from drafter.sources.api import ApiRequest, ApiResponse
from drafter.sources.cache import ResponseCache
from drafter.sources.http import HttpClient
from tests.conftest import SNAPSHOT_DIR, fast_settings
from tests.http_helpers import as_is
from tests.servers import Reply, ScriptedServer

NCT = "NCT05591222"
STUDY_PATH = f"/studies/{NCT}"
GOOD_STUDY = (SNAPSHOT_DIR / "ctgov" / "study_NCT05591222.json").read_text("utf-8")

POISON = {
    "html-200": Reply(200, "<html><body>Service temporarily unavailable</body></html>"),
    "json-bomb": Reply(200, "[" * 100_000),
    "wrong-record": Reply(200, json.dumps({"protocolSection": {"statusModule": {}}})),
}


def client_for(server: ScriptedServer, tmp_path: Path, **overrides: object) -> HttpClient:
    return HttpClient(fast_settings(tmp_path, ctgov_url=server.url, **overrides))


@pytest.mark.parametrize("bad", POISON.values(), ids=POISON.keys())
def test_an_answer_that_does_not_parse_is_never_cached(
    bad: Reply, scripted: ScriptedServer, tmp_path: Path
) -> None:
    scripted.script(STUDY_PATH, bad, Reply(200, GOOD_STUDY))
    with client_for(scripted, tmp_path) as client, pytest.raises(MalformedResponse):
        ctgov.get_study(client, NCT)
    with client_for(scripted, tmp_path) as client:
        assert ctgov.get_study(client, NCT).nct_id == NCT  # asked again, not served the bad one
    with client_for(scripted, tmp_path) as client:
        assert ctgov.get_study(client, NCT).nct_id == NCT
        assert client.network_requests == 0  # the good answer was cached
    assert scripted.count(STUDY_PATH) == 2


def test_a_redirect_to_garbage_is_not_cached(scripted: ScriptedServer, tmp_path: Path) -> None:
    scripted.script(STUDY_PATH, Reply(302, "", headers={"Location": "/moved"}))
    scripted.script("/moved", Reply(200, "<html>moved</html>"), Reply(200, GOOD_STUDY))
    with client_for(scripted, tmp_path) as client, pytest.raises(MalformedResponse):
        ctgov.get_study(client, NCT)
    with client_for(scripted, tmp_path) as client:
        assert ctgov.get_study(client, NCT).nct_id == NCT
    assert scripted.count("/moved") == 2


def poison_the_cache(tmp_path: Path, base_url: str) -> None:
    """An entry stored by an older drafter, or before a parser became stricter."""
    request = ctgov.study_request(NCT)
    cache = ResponseCache(tmp_path / "cache" / "http-cache.sqlite3")
    cache.put(
        request.cache_key(base_url),
        request.describe(),
        ApiResponse(status=200, text="<html>oops</html>", url=base_url + STUDY_PATH),
    )
    cache.close()


def test_a_cached_answer_that_no_longer_parses_is_refetched_and_replaced(
    scripted: ScriptedServer, tmp_path: Path
) -> None:
    poison_the_cache(tmp_path, scripted.url)
    scripted.script(STUDY_PATH, Reply(200, GOOD_STUDY))
    with client_for(scripted, tmp_path) as client:
        assert ctgov.get_study(client, NCT).nct_id == NCT
    with client_for(scripted, tmp_path) as client:
        assert ctgov.get_study(client, NCT).nct_id == NCT
    assert scripted.count(STUDY_PATH) == 1


def test_offline_prefers_the_snapshot_over_a_cached_answer_that_does_not_parse(
    tmp_path: Path,
) -> None:
    settings = fast_settings(tmp_path, offline=True)
    poison_the_cache(tmp_path, settings.base_url("ctgov"))
    with HttpClient(settings) as client, client.recording() as answers:
        assert ctgov.get_study(client, NCT).nct_id == NCT
    assert [response.origin for _, response in answers] == ["snapshot"]


def test_offline_with_only_a_bad_answer_reports_why_it_is_bad(tmp_path: Path) -> None:
    settings = fast_settings(tmp_path, offline=True, snapshot_dir=tmp_path / "empty")
    poison_the_cache(tmp_path, settings.base_url("ctgov"))
    with HttpClient(settings) as client, pytest.raises(MalformedResponse, match="malformed"):
        ctgov.get_study(client, NCT)


def test_only_answers_that_parsed_are_recorded_as_sources(
    scripted: ScriptedServer, tmp_path: Path
) -> None:
    scripted.script(STUDY_PATH, Reply(200, "<html>down</html>"), Reply(200, GOOD_STUDY))
    with client_for(scripted, tmp_path) as client, client.recording() as answers:
        with pytest.raises(MalformedResponse):
            ctgov.get_study(client, NCT)
        ctgov.get_study(client, NCT)
    assert len(answers) == 1
    [(request, response)] = answers
    assert request == ctgov.study_request(NCT) and response.text == GOOD_STUDY


def offline_miss(tmp_path: Path, snapshot_dir: Path | None) -> str:
    settings = fast_settings(tmp_path, offline=True, snapshot_dir=snapshot_dir)
    with HttpClient(settings) as client, pytest.raises(OfflineMiss) as error:
        client.fetch(ApiRequest(source="chembl", path="/molecule/CHEMBL1.json"), as_is)
    return str(error.value)


def test_offline_miss_names_the_bundled_snapshot_without_a_machine_path(tmp_path: Path) -> None:
    message = offline_miss(tmp_path, None)
    assert "bundled snapshot" in message
    assert str(SNAPSHOT_DIR) not in message and str(Path.cwd()) not in message


def test_offline_miss_names_a_user_snapshot_as_given(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    message = offline_miss(tmp_path, Path("my-snapshot"))
    assert "snapshot my-snapshot" in message
    assert str(tmp_path) not in message
