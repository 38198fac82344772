"""A draft as its article shows it: an editor's draft.md read back into a Draft, each paragraph
with the citations its alignment to draft.json gives it (drafter.draft_markdown), so the tools
that read drafts (`drafter diff`, and `drafter verify` if it wants one Draft) see the article
the editor left, not the draft.json it was rendered from. Pure: text and models in, Draft out.

`edited_draft(markdown, draft)` builds it; `article_draft(draft)` is draft.json as its own
rendering shows it (the same reading of `render_markdown(draft)`), so the two compare part for
part and an unedited draft.md reads back as its draft.json. Rules:

* headline: the "# " line ("" when the editor deleted it); headline_status needs_editor when a
  NEEDS EDITOR block stands above the first section, else written.
* dek: the paragraphs between the headline and the first section, joined by a blank line;
  headline_cites: the cites of the headline and of every dek paragraph, in order.
* conflicts: each note in the article's order, with the topic and kind of the note it was
  aligned to (a note of the editor's own: a dispute with no topic).
* sections: draft.json's, each holding the paragraphs under its heading (several headings
  aligned to one section pool theirs) with their text as the article shows it (markup, source
  markers and grade taken off), their aligned cites, kind (as the Markdown marks it: a
  background or editor blockquote, else fact; inside a NEEDS EDITOR block, the aligned
  paragraph's) and grade (as marked, else the aligned paragraph's, else speculative).
  Status: needs_editor when the section shows a NEEDS EDITOR block, else written. Template
  text is left out: a paragraph the rendering of draft.json shows too but aligns to nothing
  (the NEEDS EDITOR reason and "Unverified text" lines, the conflict labels); anything else
  the editor wrote is kept.
* computed sections (the score table, Sources, Related failure claims): every line as the
  article prints it, template lines included (the table header, the introduction), a line
  under a "### " group heading led by it ("Same failure type: 2026-01-30 — …"), each with its
  aligned cites; status computed. draft.mrs, draft.sources and draft.related stay draft.json's:
  the data those lines were printed from.
* A heading that names no section starts a section of the editor's own (its key is the
  heading as written, with " (new)" after it should that be a section key, its writer
  "editor"); paragraphs above the headline form a section "(above the headline)". A section
  of draft.json the article has no heading for is left out, as is a computed section whose
  every line the editor deleted.
"""

from __future__ import annotations

from collections import Counter
from typing import Any, Literal

from pydantic import Field

from drafter.draft_markdown import (
    CONFLICTS,
    DEK,
    HEADLINE,
    AlignedMarkdown,
    MarkdownParagraph,
    align_markdown,
)
from drafter.draft_model import CitedParagraph, ConflictNote, Draft, SectionDraft
from drafter.render import render_markdown
from drafter.section_models import EvidenceGrade, ParagraphKind

ReadFrom = Literal["draft.json", "draft.md", "draft.md (edited)"]
ABOVE_THE_HEADLINE = "(above the headline)"
EDITOR = "editor"


class ArticleDraft(Draft):
    """A Draft as its article shows it (see the module docstring)."""

    read_from: ReadFrom = Field(
        description="draft.json (rendered, then read back), draft.md as drafter wrote it, or "
        "draft.md as an editor changed it"
    )


def article_draft(draft: Draft, read_from: ReadFrom = "draft.json") -> ArticleDraft:
    """draft.json as its own draft.md shows it; an ArticleDraft is returned as it is."""
    if isinstance(draft, ArticleDraft):
        return draft
    return _Reader(draft).read(None, read_from)


def edited_draft(markdown: str, draft: Draft) -> ArticleDraft:
    """The Draft an edited draft.md holds, aligned to the draft.json it was rendered from; its
    read_from says whether the editor changed it."""
    reader = _Reader(draft)
    edited = markdown != reader.rendered
    return reader.read(markdown if edited else None, "draft.md (edited)" if edited else "draft.md")


def _normal(text: str) -> str:
    return " ".join(text.split())


class _Reader:
    """One draft.json: its rendering, aligned once, tells the template text apart."""

    def __init__(self, draft: Draft) -> None:
        self.draft = draft
        self.rendered = render_markdown(draft)
        self.own = align_markdown(self.rendered, draft)
        self.computed = {s.key for s in draft.sections if s.status == "computed"}
        self.template = Counter(
            (p.section_key, _normal(p.text))
            for p in self.own.paragraphs
            if p.matched_index is None and p.section_key not in self.computed
        )
        self.own_lines = Counter(p.section_key for p in self.own.paragraphs)

    def read(self, markdown: str | None, read_from: ReadFrom) -> ArticleDraft:
        aligned = self.own if markdown is None else align_markdown(markdown, self.draft)
        groups = self._groups(aligned)
        draft = self.draft
        headline_group = groups.pop(HEADLINE, [])
        heads = [p for p in headline_group if p.kind == "headline"]
        dek = [p for p in headline_group if p.kind != "headline"] + groups.pop(DEK, [])
        above = any(
            p.section_key == HEADLINE and p.kind == "needs_editor" for p in aligned.paragraphs
        )
        fields: dict[str, Any] = {name: getattr(draft, name) for name in Draft.model_fields}
        fields.update(
            headline="\n\n".join(p.text for p in heads),
            dek="\n\n".join(p.text for p in dek),
            headline_cites=list(dict.fromkeys(c for p in heads + dek for c in p.cites)),
            headline_status="needs_editor" if above else "written",
            conflicts=[self._note(p) for p in groups.pop(CONFLICTS, [])],
            sections=self._sections(aligned, groups),
            read_from=read_from,
        )
        return ArticleDraft(**fields)

    def _groups(self, aligned: AlignedMarkdown) -> dict[str, list[MarkdownParagraph]]:
        """The paragraphs by section key (under a heading of no section: the key of the
        editor's section), in the article's order, template text left out."""
        template = Counter(self.template)
        keys = {s.key for s in self.draft.sections}
        groups: dict[str, list[MarkdownParagraph]] = {}
        for paragraph in aligned.paragraphs:
            key = paragraph.section_key
            if key is None:
                key = paragraph.heading if paragraph.heading is not None else ABOVE_THE_HEADLINE
                key = f"{key} (new)" if key in keys else key
            elif paragraph.matched_index is None and key not in self.computed:
                seen = (key, _normal(paragraph.text))
                if template[seen]:
                    template[seen] -= 1
                    continue
            groups.setdefault(key, []).append(paragraph)
        return groups

    def _note(self, paragraph: MarkdownParagraph) -> ConflictNote:
        index = paragraph.matched_index
        original = self.draft.conflicts[index] if index is not None else None
        return ConflictNote(
            topic=original.topic if original else "",
            facts=paragraph.cites,
            note=paragraph.text,
            kind=original.kind if original else "dispute",
        )

    def _sections(
        self, aligned: AlignedMarkdown, groups: dict[str, list[MarkdownParagraph]]
    ) -> list[SectionDraft]:
        needs_editor = {
            p.section_key
            for p in aligned.paragraphs
            if p.kind == "needs_editor" and p.section_key is not None
        }
        present = {h.section_key for h in aligned.headings} | {
            p.section_key for p in aligned.paragraphs
        }
        sections = []
        for section in self.draft.sections:
            members = groups.pop(section.key, [])
            if section.key not in present:
                continue
            if section.key in self.computed:
                if not members and self.own_lines[section.key]:
                    continue  # every line deleted
                paragraphs = [self._line(p) for p in members]
                status: Literal["written", "needs_editor", "computed"] = "computed"
            else:
                paragraphs = [self._paragraph(p, section) for p in members]
                status = "needs_editor" if section.key in needs_editor else "written"
            sections.append(section.model_copy(update={"paragraphs": paragraphs, "status": status}))
        for key, members in groups.items():
            sections.append(
                SectionDraft(
                    key=key,
                    heading=members[0].heading or ABOVE_THE_HEADLINE,
                    status="written",
                    paragraphs=[self._paragraph(p, None) for p in members],
                    writer=EDITOR,
                )
            )
        return sections

    def _paragraph(
        self, paragraph: MarkdownParagraph, section: SectionDraft | None
    ) -> CitedParagraph:
        index = paragraph.matched_index
        original = section.paragraphs[index] if section and index is not None else None
        kind: ParagraphKind = "fact"
        if paragraph.kind in ("background", "editor"):
            kind = paragraph.kind
        elif paragraph.kind == "needs_editor" and original is not None:
            kind = original.kind  # the text of the last attempt, quoted whatever its kind
        grade: EvidenceGrade = paragraph.grade or (original.grade if original else "speculative")
        return CitedParagraph(text=paragraph.text, cites=paragraph.cites, kind=kind, grade=grade)

    def _line(self, paragraph: MarkdownParagraph) -> CitedParagraph:
        lead = f"{paragraph.subheading}: " if paragraph.subheading else ""
        return CitedParagraph(
            text=lead + paragraph.text,
            cites=paragraph.cites,
            kind="fact",
            grade=paragraph.grade or "documented",
        )
