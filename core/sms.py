"""SMS text that fits one segment where it can: 160 GSM-7 characters, or 70 in UCS-2."""

GSM7 = frozenset("@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡"
                 "ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà")
# Characters GSM-7 sends as two (an escape and the character).
GSM7_EXTENDED = frozenset("^{}\\[~]|€\f")


def gsm7_length(text: str) -> int | None:
    """Septets the text takes in GSM-7, or None when it needs UCS-2."""
    size = 0
    for char in text:
        if char in GSM7:
            size += 1
        elif char in GSM7_EXTENDED:
            size += 2
        else:
            return None
    return size


def segments(text: str) -> int:
    septets = gsm7_length(text)
    if septets is not None:
        return 1 if septets <= 160 else -(-septets // 153)
    units = len(text.encode("utf-16-le")) // 2
    return 1 if units <= 70 else -(-units // 67)


def fit(head: str, title: str, tail: str) -> str:
    """`head title tail` in one segment, shortening only the title (never the key or the
    link); when even an empty title does not fit, the whole text, in as few as it takes."""
    whole = f"{head} {title} {tail}"
    if segments(whole) == 1:
        return whole
    words = title
    while words:
        words = words[:-1].rstrip()
        candidate = f"{head} {words}... {tail}" if words else f"{head} {tail}"
        if segments(candidate) == 1:
            return candidate
    return whole
