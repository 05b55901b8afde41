"""Property: on any text, the parsers never raise and return exactly the contract's keys."""

from hypothesis import given, settings
from hypothesis import strategies as st

from medxtract_lab.doctypes import DOC_TYPES
from medxtract_lab.extraction import match_fields

LABEL_WORDS = [
    "Name:",
    "Date:",
    "Address:",
    "Directions:",
    "Refill:",
    "Medicines:",
    "Birth Date",
    "Weight:",
    "Height:",
    "Measles:",
    "Chicken Pox (Varicella):",
    "IMMUNE",
    "NOT IMMUNE",
    "Yes",
    "No",
    "Patient Information",
    "In Case of Emergency",
    "Home phone",
    "Dr",
    "M.D",
    "(737) 988-0851",
    "5/11/2022",
    "|",
    "—",
    "_2_",
    "\n",
    "\n\n",
    "\f",
]
text = st.lists(st.one_of(st.sampled_from(LABEL_WORDS), st.text(max_size=20)), max_size=60).map(
    " ".join
)


@settings(max_examples=300, deadline=None)
@given(pages=st.lists(text, min_size=0, max_size=3))
def test_parsers_never_raise_and_keep_the_contract(pages: list[str]) -> None:
    for doc_type in DOC_TYPES.values():
        found = match_fields(doc_type, pages)
        assert list(found) == doc_type.field_names
        for match in found.values():
            if match.value is not None:
                assert isinstance(match.value, str) and match.value.strip()
                assert 0 <= match.quality <= 1
            for page, start, end in match.spans + match.anchors:
                assert 0 <= start <= end <= len(pages[page])
