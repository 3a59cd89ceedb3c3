"""Routes the model cannot honour (intratumoral, timed infusion) are refused with the reason."""

from __future__ import annotations

import pytest

from tmesim.errors import ConfigError
from tmesim.therapies.regimen import regimen_from_config


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("nivolumab 240 mg it q2w x4", "intratumoral dosing is not modelled"),
        ("nivolumab 240 mg intratumoral once", "intratumoral dosing is not modelled"),
        ("ipilimumab 3 mg/kg iv over 90 min q3w x4", "infusion durations are not modelled"),
    ],
)
def test_an_unsupported_route_names_the_field_and_the_reason(text, why):
    with pytest.raises(ConfigError, match="route") as err:
        regimen_from_config(text)
    assert why in str(err.value)


def test_the_typed_form_is_refused_alike_and_modelled_routes_still_parse():
    with pytest.raises(ConfigError, match="intratumoral dosing is not modelled"):
        regimen_from_config([{"drug": "nivolumab", "amount": 240, "unit": "mg", "route": "it"}])
    assert regimen_from_config("nivolumab 240 mg iv q2w x4").steps[0].route == "iv"
