"""pydantic models of the Telegram updates the bot reads. Unknown fields are ignored.

They belong to the bot (its input), not to the HTTP adapter, so decision code never imports an
adapter. Shapes follow https://core.telegram.org/bots/api#message and the captured payloads in
tests/fixtures/telegram.
"""

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


class Location(_Tg):
    latitude: float
    longitude: float


class MessageEntity(_Tg):
    type: str
    offset: int
    length: int


class Message(_Tg):
    message_id: int
    date: int = 0
    chat: Chat
    sender: User | None = Field(default=None, alias="from")
    sender_chat: Chat | None = None
    """Set when a chat speaks: a channel's post, a group's anonymous admin (whose `from` is the
    placeholder GroupAnonymousBot), a linked channel's automatic forward."""
    text: str | None = None
    entities: list[MessageEntity] = Field(default_factory=list)
    location: Location | None = None
    migrate_to_chat_id: int | None = None
    migrate_from_chat_id: int | None = None


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
    channel_post: Message | None = None
    callback_query: CallbackQuery | None = None
    my_chat_member: ChatMemberUpdated | None = None
