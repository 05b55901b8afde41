"""Corrections snap close misreadings, leave distant words alone, and never invent values."""

import re

import pytest

from medxtract_lab.doctypes import get_doctype
from medxtract_lab.doctypes.patterns import DATE, PHONE
from medxtract_lab.extraction import match_fields
from medxtract_lab.extraction.labels import find_labels
from medxtract_lab.extraction.validators import (
    KEPT_AS_READ,
    count,
    immunity,
    medication_or_na,
    medicine_line,
    medicines,
    month_date,
    person_name,
    phone,
    prose,
    text_or_na,
    us_address,
    yes_no,
)


@pytest.mark.parametrize(
    "corrector, read, expected",
    [
        (immunity, "NOTIMMUNE", "NOT IMMUNE"),
        (immunity, "IMMUNF", "IMMUNE"),
        (yes_no, "Yes.", "Yes"),
        (yes_no, "N0", "No"),
        (text_or_na, "NA", "N/A"),
        (text_or_na, "N|A", "N/A"),
        (phone, "(S01) 887-5325", "(501) 887-5325"),
        (phone, "{353) 443-5822", "(353) 443-5822"),  # a grainy photo's bracket
        (phone, "[353] 443-5822", "(353) 443-5822"),
        (medicines, "Prednisone 20 meg", "Prednisone 20 mg"),
        (medicines, "Metformin 500 rng", "Metformin 500 mg"),
        (medicines, "Liothyronine 5 meg", "Liothyronine 5 mcg"),  # the lexicon's unit decides
        (medication_or_na, "Liothyronine 5 meg", "Liothyronine 5 mcg"),
        (medication_or_na, "Metformin 500 me", "Metformin 500 mg"),
        (text_or_na, "Migraine CO", "Migraine"),
        (prose, "Take 2 pill every moming", "Take 2 pill every morning"),  # 'rn' read as 'm'
        (prose, "Take ì pill twice a day", "Take 1 pill twice a day"),  # Latin model's '1'
        (medicines, "Predisone 20 mg\nWarfarin | mg", "Prednisone 20 mg\nWarfarin 1 mg"),
        (us_address, "9 Oak St, Lake Susanport, MN. 16663", "9 Oak St, Lake Susanport, MN 16663"),
        (us_address, "8 Traci Rd, Lakeport; TN 57425", "8 Traci Rd, Lakeport, TN 57425"),
        (us_address, "8 Traci Rd, Lakeport,; TN 57425", "8 Traci Rd, Lakeport, TN 57425"),
        (us_address, "9 Oak St, Dover, MS 80613-", "9 Oak St, Dover, MS 80613"),
        (us_address, "Dover, DE 19901\nUnited Státes", "Dover, DE 19901\nUnited States"),
        (us_address, "Dover, DE  19901- ", "Dover, DE  19901"),
        (us_address, "Dover, DE 19901\nUNITED STÁTES", "Dover, DE 19901\nUNITED STATES"),
        (prose, "Clonidine: every 8.hours", "Clonidine: every 8 hours"),
        (month_date, "January 4.1941", "January 4 1941"),
        (month_date, "January 41941", "January 4 1941"),
        (month_date, "March 121999", "March 12 1999"),
        (prose, "Naproxen - take | tablet at bedtime", "Naproxen - take 1 tablet at bedtime"),
        (immunity, "NOT.IMMUNE", "NOT IMMUNE"),
        (count, "|", "1"),
        (count, "l2", "12"),
        (person_name, "Bernardo lannelli", "Bernardo Iannelli"),  # 'I' read as 'l'
    ],
)
def test_close_misreadings_are_corrected(corrector, read, expected) -> None:
    value, factor = corrector(read)
    assert value == expected
    assert 0 < factor < 1  # a corrected value is less certain than a clean read


@pytest.mark.parametrize(
    "corrector, read",
    [
        (immunity, "UNKNOWN"),
        (yes_no, "Maybe"),
        (phone, "call the office"),
        (medicines, "Zorblaxin 5 mg"),
    ],
)
def test_distant_words_are_kept_with_lower_confidence(corrector, read) -> None:
    assert corrector(read) == (read, KEPT_AS_READ)


def test_clean_values_keep_full_confidence() -> None:
    assert medicines("Lialda 2.4 gram") == ("Lialda 2.4 gram", 1.0)
    assert text_or_na("Migraine") == ("Migraine", 1.0)
    # One capital after a word is part of the value, not debris.
    assert text_or_na("Vitamin D\nHepatitis B") == ("Vitamin D\nHepatitis B", 1.0)
    assert medication_or_na("Aspirin daily") == ("Aspirin daily", 1.0)
    assert phone("(737) 988-0851") == ("(737) 988-0851", 1.0)
    assert us_address("Apt. 4, Dover, DE 19901") == ("Apt. 4, Dover, DE 19901", 1.0)
    assert us_address("4 Elm St\nDover, DE 19901") == ("4 Elm St\nDover, DE 19901", 1.0)
    assert prose("Take 0.5 tablet. then rest") == ("Take 0.5 tablet. then rest", 1.0)
    assert prose("If I feel dizzy, take 1 tablet") == ("If I feel dizzy, take 1 tablet", 1.0)
    assert month_date("January 4, 1941") == ("January 4, 1941", 1.0)


def test_nothing_is_produced_for_a_missing_field() -> None:
    text = "Have you had the Hepatitis B vaccination?\nList any Medical Problems (asthma):\nN/A"
    found = match_fields(get_doctype("patient_details"), [text, "Do you have medical insurance?"])
    assert found["hepatitis_b_vaccination"].value is None
    assert found["has_insurance"].value is None
    assert found["measles"].value is None
    # The labels were seen, and where they stand is kept for a re-read of their region.
    assert found["hepatitis_b_vaccination"].anchors == ((0, 0, 41),)
    assert found["measles"].anchors == ()


def test_uncorrectable_value_lowers_field_confidence() -> None:
    text = "Dr Ann Lee, M.D\nName: Bo Li Date: 1/2/2023\nAddress: 1 Main St\nZorblaxin 5 mg\n"
    found = match_fields(get_doctype("prescription"), [text])
    assert found["medicines"].value == "Zorblaxin 5 mg"
    assert found["medicines"].quality == KEPT_AS_READ


@pytest.mark.parametrize(
    "text, field, expected",
    [
        ("Refill: | times", "refills", "1"),
        ("Refill: 2 times", "refills", "2"),
        ("Refill: Ask the doctor", "refills", None),
    ],
)
def test_a_count_read_as_a_bar_is_a_one(text, field, expected) -> None:
    page = f"Dr Ann Lee, M.D\nName: Bo Li Date: 1/2/2023\nDirections: rest\n{text}\n"
    assert match_fields(get_doctype("prescription"), [page])[field].value == expected


def test_a_month_date_split_by_a_speck_or_run_together_is_found() -> None:
    for read in ("January 4.1941", "January 41941", "January 4 1941"):
        assert re.search(DATE, read, re.IGNORECASE).group("v") == read
    assert re.search(DATE, "January 419410", re.IGNORECASE) is None


def test_a_letter_that_case_folds_to_two_does_not_shift_the_labels() -> None:
    """'ß'.casefold() is 'ss': label offsets must still index the line as printed."""
    found = match_fields(get_doctype("prescription"), ["Straße 4 Name: Jo Li"])
    assert found["patient_name"].value == "Jo Li"
    assert found["patient_name"].anchors == ((0, 9, 14),)


@pytest.mark.parametrize(
    "printed",
    [
        "14 February 2021",
        "6th May 1972",
        "07-Mar-2021",
        "07-MAR-21",
        "May 6, 1972",
        "May 6 1972",
        "14/02/21",
        "14.02.2021",
        "5/11/2022",
    ],
)
def test_every_printed_date_form_is_found_exactly_as_printed(printed) -> None:
    prescription = f"Dr Ann Lee, M.D\nName: Bo Li Date: {printed}\nAddress: 1 Main St\n"
    assert match_fields(get_doctype("prescription"), [prescription])["date"].value == printed
    record = [
        f"Patient Information\nJo Li Birth Date\n(555) 123-4567 {printed}\n",
        f"Name of Insurance Company: Aetna\nExpiry Date: {printed}\n",
    ]
    found = match_fields(get_doctype("patient_details"), record)
    assert found["insurance_expiry"].value == printed
    assert found["birth_date"].value == printed


def test_numbers_that_are_not_dates_are_not_taken_for_one() -> None:
    for text in ("Policy X12345678", "Refill 2 times", "2024-03-14-7", "123/45/6789"):
        assert re.search(DATE, text, re.IGNORECASE) is None, text


@pytest.mark.parametrize(
    "text",
    [
        "Primary 12, 2021",
        "1 Junction 45",
        "12 Octavia 1990",
        "3 Mayfield 12",
        "open 9.30-12.30",
        "take 5 - 1.25",
        "dose 1.5/2.5",
        "version 12.10.4.1",
    ],
)
def test_words_and_numbers_that_only_look_like_dates_are_not_dates(text) -> None:
    assert re.search(DATE, text, re.IGNORECASE) is None


@pytest.mark.parametrize("printed", ["2024-03-14", "May 6th, 1972", "14/Feb/2021", "Sept. 3 2020"])
def test_more_printed_date_forms(printed) -> None:
    assert re.search(DATE, f"Date: {printed} ", re.IGNORECASE).group("v") == printed


def test_a_misread_unit_is_mapped_only_when_unambiguous() -> None:
    assert medicine_line("Prednisone 20 me")[0] == "Prednisone 20 mg"
    assert medicine_line("Potassium Chloride 20 mE")[0].endswith(" 20 mE")  # left of mEq


def test_labels_match_through_the_letters_a_latin_script_model_invents() -> None:
    for read in ("Diræztions:", "Dírections:", "DIRECTIONS:"):
        assert [h.label for h in find_labels(read, ["Directions:"])] == ["Directions:"], read
    assert find_labels("Drawings:", ["Directions:"]) == []


@pytest.mark.parametrize(
    "line",
    [
        "Chicken Pox (Varicella): NOT IMMUNÆMMeasles: IMMUNE",  # a blurred photo's two columns
        "Chicken Pox (Varicella): NOT IMMUWeasles: IMMUNE",
    ],
)
def test_a_label_glued_to_the_value_before_it_still_splits_the_row(line: str) -> None:
    found = match_fields(get_doctype("patient_details"), [line, ""])
    assert (found["chicken_pox"].value, found["measles"].value) == ("NOT IMMUNE", "IMMUNE")


def test_a_glued_label_needs_its_length_its_colon_and_its_capital() -> None:
    assert [h.label for h in find_labels("IMMUNEMeasles: no", ["Measles:"])] == ["Measles:"]
    assert find_labels("IMMUNEMeasles no", ["Measles:"]) == []  # no colon: a word's tail
    assert find_labels("Update: soon", ["Date:"]) == []  # too short to tell from a word
    # Words ending in a label, in lower case: not labels.
    assert find_labels("Outpatient: yes", ["Patient:"]) == []
    assert find_labels("Emailaddress: a@b.com", ["Address:"]) == []
    assert find_labels("Norefills: 0", ["Refills:"]) == []


@pytest.mark.parametrize(
    "line", ["Measles: Immunization record attached", "Measles: not immunocompromised"]
)
def test_a_longer_word_starting_immu_is_no_immunity_value(line: str) -> None:
    assert match_fields(get_doctype("patient_details"), [line, ""])["measles"].value is None


@pytest.mark.parametrize(
    "name", ["Maria de la Cruz", "lorna lee", "Dean Bryant lives here", "Bo li"]
)
def test_a_name_without_a_misread_capital_is_left_as_read(name: str) -> None:
    assert person_name(name) == (name, 1.0)


def test_only_a_pair_of_brackets_is_taken_for_the_area_codes() -> None:
    assert phone("[123 456 7890") == ("[123 456 7890", KEPT_AS_READ)
    assert re.search(PHONE, "ref [123 456 7890").group("v") == "123 456 7890"
    assert re.search(PHONE, "{353) 443-5822").group("v") == "{353) 443-5822"


def test_the_lexicon_decides_only_between_mg_and_mcg() -> None:
    """'meg' is one letter from 'mg' and from 'mcg': a drug listed in mcg decides. Any other
    misread unit is what it looks like, whatever the lexicon lists (a wrong unit there would
    be a thousandfold dose error)."""
    assert medicine_line("Levothyroxine 100 meg")[0] == "Levothyroxine 100 mcg"
    assert medicine_line("Levothyroxine 0.1 rng")[0] == "Levothyroxine 0.1 mg"
    assert medication_or_na("Metformin XR 500mg twice daily") == (
        "Metformin XR 500mg twice daily",
        1.0,
    )  # printed formulation and spacing kept
    assert text_or_na("Relapsing-remitting MS") == ("Relapsing-remitting MS", 1.0)
    assert count("²") == ("²", KEPT_AS_READ)


def test_a_lone_character_after_a_label_is_not_a_value() -> None:
    """A speck after 'Policy Number:', or the tail of a label OCR broke mid-word ('Com' /
    'pany'), leaves one character where the form printed nothing: the field stays null."""
    page2 = (
        "Name of Insurance Company: m\nPolicy Number: E\nExpiry Date:\n"
        "Do you have medical insurance?\nNo\n"
    )
    found = match_fields(get_doctype("patient_details"), ["Patient Medical Record\n", page2])
    assert found["insurance_company"].value is None
    assert found["policy_number"].value is None
    assert found["has_insurance"].value == "No"
    two = match_fields(get_doctype("patient_details"), ["", "Policy Number: E7\n"])
    assert two["policy_number"].value == "E7"  # two characters can be a value
