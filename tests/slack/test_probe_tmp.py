import logging
import pytest
from okrbot.sandbox.harness import Sandbox

@pytest.mark.parametrize("ts", ["abc", "", "1e3", "99999999999999999999999", "-5", " 12"])
async def test_probe(org_box: Sandbox, caplog: pytest.LogCaptureFixture, ts: str) -> None:
    caplog.set_level(logging.DEBUG)
    r = await org_box.slack.post_raw("command=%2Fokr&text=help", timestamp=ts, signature="v0=abc")
    print("STATUS", ts, r.status, r.body[:100])
    for rec in caplog.records:
        if rec.levelno >= logging.WARNING:
            print(rec.levelname, rec.name, rec.getMessage()[:200], bool(rec.exc_info))
