"""Why a resident's request on a ticket was refused.

Unlike TicketError (for logs), each of these carries `.message`: a short, polite
Vietnamese sentence an action can show the resident as it is.
"""

from __future__ import annotations

from laikhe.labels import STATE_LABELS


class ResidentError(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NotFound(ResidentError):
    def __init__(self, code: str) -> None:
        super().__init__(
            f"Không tìm thấy ý kiến có mã {code}. Anh/Chị kiểm tra lại mã trong tin nhắn xác nhận."
        )


class NotOwner(ResidentError):
    def __init__(self, code: str) -> None:
        super().__init__(
            f"Ý kiến {code} không được gửi từ tài khoản này, nên Anh/Chị không thay đổi được. "
            "Anh/Chị vẫn có thể xem trạng thái của ý kiến."
        )


class WrongState(ResidentError):
    """The ticket is not in a state that allows this; `hint` says what can be done."""

    def __init__(self, code: str, state: str, hint: str) -> None:
        label = STATE_LABELS.get(state, state)
        super().__init__(f"Ý kiến {code} đang ở trạng thái «{label}». {hint}")
        self.state = state


class TooLate(ResidentError):
    def __init__(self, code: str, days: int) -> None:
        super().__init__(
            f"Ý kiến {code} đã được trả lời quá {days} ngày nên không mở lại được. "
            "Anh/Chị gửi ý kiến mới giúp, có ghi mã cũ để cán bộ tra cứu."
        )


class AlreadyRated(ResidentError):
    def __init__(self, code: str) -> None:
        super().__init__(f"Anh/Chị đã đánh giá ý kiến {code} rồi. Cảm ơn Anh/Chị!")


class TooManyAttachments(ResidentError):
    def __init__(self, code: str, limit: int) -> None:
        super().__init__(
            f"Ý kiến {code} đã có đủ {limit} ảnh/tệp. Anh/Chị mô tả thêm bằng lời nếu cần bổ sung."
        )


class ChangedMeanwhile(ResidentError):
    """The ticket changed between the check and the write; nothing was done."""

    def __init__(self, code: str) -> None:
        super().__init__(
            f"Ý kiến {code} vừa được cập nhật. Anh/Chị xem lại trạng thái rồi thao tác lại giúp."
        )


class InvalidInput(ResidentError):
    """What the resident typed cannot be used; the message says what is expected."""
