"""Property tests (hypothesis) of the text pipeline and the pseudonym keys."""

from hypothesis import given, settings
from hypothesis import strategies as st

from app.services import pseudonyms, text
from tests.security.inert import problems

MARKUP = st.text(alphabet=st.sampled_from(list("<>/\"'=:;&#*_[]()`! \nabcjsvriptonxhdaJ")), max_size=200)


@settings(max_examples=150, deadline=None)
@given(st.one_of(MARKUP, st.text(max_size=200)))
def test_rendered_text_holds_nothing_active(source):
    assert problems(text.render_markdown(source), baseline=set()) == []


@settings(max_examples=150, deadline=None)
@given(st.text(max_size=40))
def test_a_pseudonyms_key_and_skeleton_are_stable(raw):
    assert pseudonyms.key(pseudonyms.normalize(raw)) == pseudonyms.key(raw)
    assert pseudonyms.skeleton(pseudonyms.normalize(raw)) == pseudonyms.skeleton(raw)


@settings(max_examples=150, deadline=None)
@given(st.text(max_size=200))
def test_without_controls_is_idempotent(raw):
    once = text.without_controls(raw)
    assert text.without_controls(once) == once
