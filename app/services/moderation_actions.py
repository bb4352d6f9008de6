"""What moderators can do, and the words for each: one table the services and templates look up."""

from dataclasses import dataclass

from app.models import PostStatus, ReportStatus


@dataclass(frozen=True)
class Action:
    post_status: str | None  # what the post becomes; None leaves it as it is
    report_status: str  # what its open reports become
    logged: str  # in the log: "<moderator> {logged} post 12"
    done: str  # told to the moderator once it is done
    button: str  # the words on the button that asks for it


ACTIONS: dict[str, Action] = {
    "dismiss": Action(
        None,
        ReportStatus.dismissed,
        "dismissed the reports on",
        "Reports dismissed; the post is visible.",
        "Dismiss: keep it visible",
    ),
    "restore": Action(
        PostStatus.visible,
        ReportStatus.dismissed,
        "restored",
        "The post is visible again; reports dismissed.",
        "Restore: show it again",
    ),
    "hide": Action(
        PostStatus.hidden,
        ReportStatus.actioned,
        "hid",
        "The post is hidden until a moderator restores it.",
        "Hide",
    ),
    "remove": Action(
        PostStatus.removed,
        ReportStatus.actioned,
        "removed",
        "The post is removed; readers see that a moderator removed it.",
        "Remove",
    ),
    "suspend": Action(
        PostStatus.removed,
        ReportStatus.actioned,
        "removed and paused the author of",
        "The post is removed and its author is paused.",
        "Remove and pause the author",
    ),
}
KEEP_HIDDEN = "Keep hidden"  # the hide button, on a post already hidden until a moderator decides
# On a post its author sent only to the moderators: dismissing closes the item, the post stays private.
NO_ACTION = "No action needed: close it (it stays private)"

# Thread tools: column -> (action when turned on, when turned off), and their words in the log.
THREAD_FLAGS = {"locked": ("lock", "unlock"), "pinned": ("pin", "unpin")}
THREAD_LOGGED = {"lock": "locked", "unlock": "unlocked", "pin": "pinned", "unpin": "unpinned"}

AUTO_HIDE = "auto_hide"  # written by reporting when enough members report a post
# Claims on at-risk items (services/claims.py): a moderator takes one on, or gives it back.
CLAIM_LOGGED = {"claim": "claimed, to reach out to its author,", "release": "released the claim on"}

# The private line (services/talk.py): the log says who wrote to whom and when, never the words.
TALK_MEMBER, TALK_ANSWER, TALK_REACH_OUT, TALK_CLOSE = (
    "talk_member",
    "talk_answer",
    "talk_reach_out",
    "talk_close",
)
TALK_LOGGED = {
    TALK_MEMBER: "wrote privately to the moderators",  # the member is the actor
    TALK_ANSWER: "wrote privately to",
    TALK_REACH_OUT: "reached out privately to",
    TALK_CLOSE: "closed the private conversation with",
}
# Appeals (services/appeals.py): the decisions an author may appeal, and the answers.
APPEALABLE = ("hide", "remove", "suspend")
APPEAL_UPHELD, APPEAL_OVERTURNED = "appeal_upheld", "appeal_overturned"
APPEAL_OUTCOMES = {"uphold": "Uphold: keep the decision", "overturn": "Overturn: restore it"}
APPEAL_LOGGED = {
    APPEAL_UPHELD: "upheld, on appeal, the decision on",
    APPEAL_OVERTURNED: "overturned, on appeal, the decision on",
}
LOGGED = {
    **{name: action.logged for name, action in ACTIONS.items()},
    AUTO_HIDE: "hid, pending review,",
    **THREAD_LOGGED,
    **CLAIM_LOGGED,
    **TALK_LOGGED,
    **APPEAL_LOGGED,
}


def choices(post_status: str) -> list[tuple[str, str, bool]]:
    """The decision buttons for a post in this state: (action, words, the main one)."""
    if post_status == PostStatus.moderators_only:
        return [("dismiss", NO_ACTION, True), ("remove", ACTIONS["remove"].button, False)]
    if post_status == PostStatus.hidden_pending_review:
        first = [("restore", ACTIONS["restore"].button, True), ("hide", KEEP_HIDDEN, False)]
    else:
        first = [("dismiss", ACTIONS["dismiss"].button, True), ("hide", ACTIONS["hide"].button, False)]
    return first + [(name, ACTIONS[name].button, False) for name in ("remove", "suspend")]
