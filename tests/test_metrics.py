import unicodedata

import pytest

from medxtract_lab.evaluation.metrics import (
    Cer,
    cer,
    confusions,
    field_cer,
    field_match,
    micro_cer,
    normalise,
)


def test_nfc_and_nfd_are_the_same_text() -> None:
    nfc = unicodedata.normalize("NFC", "Iván Müller")
    nfd = unicodedata.normalize("NFD", "Iván Müller")
    assert nfc != nfd
    assert cer(nfc, nfd) == Cer(0, len(nfc))
    assert field_match(nfc, nfd)


def test_whitespace_runs_collapse() -> None:
    assert normalise("  Prednisone \n\n 20   mg\t") == "Prednisone 20 mg"
    assert cer("Prednisone 20 mg", "Prednisone\n20  mg").edits == 0


def test_empty_strings_on_either_side() -> None:
    assert cer("", "") == Cer(0, 0) and cer("", "").rate == 0.0
    assert cer("", "abc") == Cer(3, 0) and cer("", "abc").rate == 3.0  # insertions, not inf
    assert cer("abcd", "") == Cer(4, 4) and cer("abcd", "").rate == 1.0
    assert cer(None, None).rate == 0.0


def test_cer_can_exceed_one() -> None:
    result = cer("ab", "xyzwv")
    assert result.rate == pytest.approx(5 / 2)
    assert result.rate > 1


def test_micro_average_differs_from_macro() -> None:
    counts = [cer("a", "b"), cer("abcdefghij", "abcdefghij")]
    macro = sum(c.rate for c in counts) / len(counts)
    assert macro == pytest.approx(0.5)
    assert micro_cer(counts) == pytest.approx(1 / 11)


def test_field_match_rules() -> None:
    assert field_match("Marta Sharapova", "marta  sharapova")
    assert not field_match("Maria", "Marta")
    assert field_match(None, None)
    assert not field_match("Yes", None) and not field_match(None, "Yes")
    assert field_cer("Maria", "Marta") == Cer(1, 5)
    assert field_cer(None, "N/A") == Cer(3, 0)


def test_confusions_name_each_substitution() -> None:
    found = confusions("Maria takes 20 mg", "Marta takes 20 meg")
    assert found["i :: t"] == 1
    assert found["∅ :: e"] == 1
