"""pydantic models of the few Telegram Bot API types loadshed reads. Unknown fields are ignored."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class _Tg(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True, populate_by_name=True, defer_build=True)


class User(_Tg):
    id: int
    is_bot: bool = False
    first_name: str = ""
    username: str | None = None


class Chat(_Tg):
    id: int
    type: str = "private"
    title: str | None = None

    @property
    def is_group(self) -> bool:
        return self.type in ("group", "supergroup")


class MessageEntity(_Tg):
    type: str
    offset: int
    length: int


class Message(_Tg):
    message_id: int
    date: int = 0
    chat: Chat
    sender: User | None = Field(default=None, alias="from")
    text: str | None = None
    entities: list[MessageEntity] = Field(default_factory=list)


class CallbackQuery(_Tg):
    id: str
    sender: User = Field(alias="from")
    message: Message | None = None
    inline_message_id: str | None = None
    data: str | None = None


class ChatMemberStatus(_Tg):
    status: str


class ChatMemberUpdated(_Tg):
    chat: Chat
    sender: User = Field(alias="from")
    new_chat_member: ChatMemberStatus


class Update(_Tg):
    update_id: int
    message: Message | None = None
    edited_message: Message | None = None
    callback_query: CallbackQuery | None = None
    my_chat_member: ChatMemberUpdated | None = None


class ApiResponse(_Tg):
    ok: bool
    result: object | None = None
    error_code: int | None = None
    description: str = ""
    parameters: dict[str, object] = Field(default_factory=dict)


class WebhookInfo(_Tg):
    url: str = ""
    pending_update_count: int = 0
    last_error_message: str | None = None
