"""Reading numbers people type."""


def is_digits(text: str) -> bool:
    """ASCII digits only. `str.isdigit()` also says yes to '²' and '¹', which `int()` refuses,
    so a check with it lets a typed superscript crash the parse it was meant to guard."""
    return text.isascii() and text.isdigit()
