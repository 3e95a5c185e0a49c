from __future__ import annotations

from bot.content.answers import compose_answer, source_line
from bot.content.knowledge import RelatedTopic, Source, TopicAnswer

TOPIC = TopicAnswer(
    id="cost",
    title="How much does it cost?",
    answer="It varies.",
    sources=(
        Source("nice_ta260", "NICE TA260", "https://www.nice.org.uk/guidance/ta260"),
        Source("article", "The article"),
    ),
    related=(RelatedTopic("eligibility", "Who can get it?"), RelatedTopic("schedule", "How often")),
)


def test_the_answer_carries_text_source_and_disclaimer_in_that_order() -> None:
    reply = compose_answer(TOPIC, "DISCLAIMER TEXT.")
    assert reply.text == (
        "It varies.\n\n"
        "Source: NICE TA260 (https://www.nice.org.uk/guidance/ta260); The article.\n\n"
        "DISCLAIMER TEXT."
    )
    assert reply.topic == "cost"


def test_related_topics_become_buttons_that_trigger_their_intent() -> None:
    reply = compose_answer(TOPIC, "d")
    assert reply.buttons == [
        {"title": "Who can get it?", "payload": "/eligibility"},
        {"title": "How often", "payload": "/schedule"},
    ]


def test_a_source_without_url_is_cited_by_name_only() -> None:
    assert source_line(TOPIC).endswith("; The article.")
