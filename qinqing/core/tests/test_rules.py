import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from qinqing.core.rules import (
    USCC_ALPHABET,
    is_ascii_digits,
    resident_id_check_char,
    resident_id_is_valid,
    uscc_check_char,
    uscc_is_valid,
    uscc_normalise,
)

REAL_CODES = [
    "91350100M000100Y43",  # the worked example of GB 32100-2015
    "9144030071526726XG",  # 深圳市腾讯计算机系统有限公司
    "91330100716105852F",  # 阿里巴巴（中国）有限公司
    "914403001922038216",  # 华为技术有限公司
    "91110000600037341L",
]


@pytest.mark.parametrize("code", REAL_CODES)
def test_real_codes_are_valid(code):
    assert uscc_is_valid(code)


@pytest.mark.parametrize(
    ("code", "why"),
    [
        ("91350100M000100Y44", "wrong check character"),
        ("91350100M000100Y4", "17 characters"),
        ("91350100M000100Y433", "19 characters"),
        ("91350100m000100Y43", "lower case"),
        ("91350100I000100Y43", "I is not in the alphabet"),
        ("91350100O000100Y43", "O is not in the alphabet"),
        ("9135010OZ000100Y43", "Z is not in the alphabet"),
        ("", "empty"),
    ],
)
def test_invalid_codes(code, why):
    assert not uscc_is_valid(code), why


def test_check_char_of_the_standard_example():
    assert uscc_check_char("91350100M000100Y4") == "3"


def test_normalise_folds_full_width_and_case():
    assert uscc_normalise(" ９１３５０１００m０００１００y４３ ") == "91350100M000100Y43"


@settings(max_examples=200, derandomize=True)
@given(st.text(alphabet=USCC_ALPHABET, min_size=17, max_size=17), st.sampled_from(USCC_ALPHABET))
def test_exactly_one_check_character_validates(first17, other):
    good = first17 + uscc_check_char(first17)
    assert uscc_is_valid(good)
    if other != good[-1]:
        assert not uscc_is_valid(first17 + other)


@settings(max_examples=200, derandomize=True)
@given(
    st.text(alphabet=USCC_ALPHABET, min_size=17, max_size=17),
    st.integers(0, 16),
    st.sampled_from(USCC_ALPHABET),
)
def test_any_single_substitution_is_caught(first17, position, replacement):
    """The mod-31 weights are all invertible, so one changed character always fails."""
    code = first17 + uscc_check_char(first17)
    if code[position] == replacement:
        return
    tampered = code[:position] + replacement + code[position + 1 :]
    assert not uscc_is_valid(tampered)


# GB 11643-1999's published example number (a fictional person in Beijing, born 1949-12-31).
STANDARD_ID = "11010519491231002X"


def test_resident_id_standard_example():
    from qinqing.core.rules import resident_id_birth_date, resident_id_is_valid

    assert resident_id_is_valid(STANDARD_ID)
    assert resident_id_birth_date(STANDARD_ID).isoformat() == "1949-12-31"


@pytest.mark.parametrize(
    "code",
    [
        "110105194912310021",  # wrong check character
        "11010519491231002x",  # lower-case x
        "110105194902300023",  # 30 February does not exist
        "11010519491231002",  # 17 characters
    ],
)
def test_resident_id_invalid(code):
    from qinqing.core.rules import resident_id_is_valid

    assert not resident_id_is_valid(code)


def test_pii_encryption_round_trip_and_keyed_hash(settings):
    from qinqing.core import crypto

    token = crypto.encrypt(STANDARD_ID)
    assert STANDARD_ID not in token
    assert crypto.decrypt(token) == STANDARD_ID
    assert crypto.encrypt(STANDARD_ID) != token  # fresh nonce each time
    assert crypto.keyed_hash(STANDARD_ID) == crypto.keyed_hash(STANDARD_ID)
    settings.SECRET_KEY = "another-key-entirely-for-this-test-0123456789"
    with pytest.raises(Exception):  # noqa: B017  (cryptography's InvalidTag)
        crypto.decrypt(token)


@pytest.mark.parametrize("text", ["²", "①", "٣", "12²", "", "1 2", "-1"])
def test_only_the_ascii_digits_are_digits(text):
    """str.isdigit() takes "²" and "①", which int() refuses (a 500 wherever both were used)."""
    assert not is_ascii_digits(text)
    assert is_ascii_digits("0123456789")


def test_an_identity_number_with_a_superscript_digit_is_invalid_not_an_error():
    assert resident_id_is_valid("²" * 17 + "X") is False
    with pytest.raises(ValueError, match="前17位必须是数字"):
        resident_id_check_char("¹" + "1" * 16)
