"""The services' typed settings, read once from a Lambda's environment (as the program sets it)."""

from __future__ import annotations

import pytest

from services.ports import ConfigError
from services.settings import ServiceSettings


def test_from_the_environment_the_program_sets():
    env = {
        "LOADSHED_ADMIN_CHATS": "42, -100123",
        "TELEGRAM_BOT_USERNAME": "@loadshed_bot",
        "LOADSHED_AREAS_OF_INTEREST": "eskde-10-fourways,za_gt_jhb_fourways_4pef",
        "LOADSHED_FANOUT_CHECKPOINT": "25",
        "LOADSHED_SEND_RATE": "20",
    }
    s = ServiceSettings.from_env(env)
    assert s.admin_chats == frozenset({42, -100123}) and s.bot_username == "loadshed_bot"
    assert s.areas_of_interest == ("eskde-10-fourways", "za_gt_jhb_fourways_4pef")
    assert (s.fanout_checkpoint, s.send_workers, s.send_rate) == (25, 4, 20.0)
    assert ServiceSettings.from_env({"TELEGRAM_BOT_USERNAME": ""}) == ServiceSettings()


@pytest.mark.parametrize(
    ("env", "said"),
    [
        ({"LOADSHED_ADMIN_CHATS": "me"}, "LOADSHED_ADMIN_CHATS must be chat ids"),
        ({"LOADSHED_AREAS_OF_INTEREST": "a b/c"}, "is not an area id"),
        ({"LOADSHED_FANOUT_CHECKPOINT": "0"}, "LOADSHED_FANOUT_CHECKPOINT must be a whole number from 1"),
        ({"LOADSHED_SEND_WORKERS": "many"}, "LOADSHED_SEND_WORKERS must be a whole number"),
        ({"LOADSHED_SEND_RATE": "nan"}, "LOADSHED_SEND_RATE must be more than 0 and at most 30"),
    ],
)
def test_a_bad_value_is_one_line(env, said):
    with pytest.raises(ConfigError) as info:
        ServiceSettings.from_env(env)
    assert said in str(info.value) and "\n" not in str(info.value)
