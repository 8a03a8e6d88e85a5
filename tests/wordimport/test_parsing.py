"""What is detected in a Word issue: note, sections, titles, sources, bodies, tables, images."""

import io

import pytest
from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.shared import Pt

from apps.wordimport.parsing import parse_docx
from apps.wordimport.pictures import PLACEHOLDER
from tests.wordimport.documents import (
    SAMPLE_ISSUE,
    TITLES,
    broken_png,
    build,
    paragraphs_of,
    png,
    replace_member,
    sample_lines,
    save,
)

# Where the sample's articles stand: before the first ● heading, they belong to no heading.
SECTION_HEADINGS = [None, None, "行业趋势", "行业报告"]


def expected_body(article):
    # The hand-split copy corrects one typo of the Word text ("福布斯》" without its "《").
    return [
        (tag, text.replace("《福布斯》网站强调称", "福布斯》网站强调称"))
        for tag, text in paragraphs_of(article["body"])
    ]


def test_the_sample_issue_is_found_whole(sample_docx):
    parsed = parse_docx(sample_docx)

    assert parsed.has_note
    assert parsed.note_text.startswith("许昌市科学技术情报研究所是隶属于市科技局")
    assert paragraphs_of(parsed.note_html) == paragraphs_of(SAMPLE_ISSUE["issue"]["editor_note"])
    assert parsed.preamble_html == ""
    assert parsed.warnings == []
    assert parsed.section_names == ["行业趋势", "行业报告"]
    assert [a.title for a in parsed.articles] == TITLES
    assert [a.section_name for a in parsed.articles] == SECTION_HEADINGS
    for article, expected in zip(parsed.articles, SAMPLE_ISSUE["articles"], strict=True):
        assert paragraphs_of(article.body_html) == expected_body(expected), article.title
        assert article.warnings == []


def test_subheadings_stay_in_the_body_as_headings(sample_docx):
    parsed = parse_docx(sample_docx)
    shenzhen, ai = parsed.articles[2], parsed.articles[3]

    # "　　下沉到企业一线": an indented short line; "深度学习加聊天": a short line in the body.
    assert "<h3>下沉到企业一线</h3>" in shenzhen.body_html
    assert "<h3>以优服务促快发展</h3>" in shenzhen.body_html
    assert [t for tag, t in paragraphs_of(ai.body_html) if tag == "h3"] == [
        "深度学习加聊天",
        "自然语音合成",
        "图片创作编辑",
        "AI情感陪伴",
    ]


def test_full_width_indentation_is_dropped(sample_docx):
    parsed = parse_docx(sample_docx)

    body = parsed.articles[2].body_html
    assert "\u3000" not in body
    assert body.startswith("<p>不久前，深圳市臻芯数字孪生技术有限公司")


def test_lengths_and_summaries(sample_docx):
    parsed = parse_docx(sample_docx)

    for article in parsed.articles:
        assert article.character_count > 1000
        assert 0 < len(article.summary) <= 120
    assert parsed.articles[0].summary.startswith("中国科学技术发展战略研究院撰写的")
    assert parsed.articles[0].summary.endswith("。")


def test_heading_styles_instead_of_marks():
    parsed = parse_docx(build(titles="headings", sections="headings"))

    assert parsed.has_note
    assert parsed.section_names == ["行业趋势", "行业报告"]
    assert [a.title for a in parsed.articles] == TITLES
    assert [a.section_name for a in parsed.articles] == SECTION_HEADINGS
    assert "<h3>深度学习加聊天</h3>" in parsed.articles[3].body_html
    assert not parsed.plain_titles


def test_heading_styles_for_titles_with_marked_sections():
    parsed = parse_docx(build(titles="headings"))

    assert [a.title for a in parsed.articles] == TITLES
    assert [a.section_name for a in parsed.articles] == SECTION_HEADINGS


def test_heading_1_titles_without_sections():
    document = Document()
    document.add_heading("第一篇", level=1)
    document.add_paragraph("第一篇的正文。")
    document.add_heading("小标题", level=3)
    document.add_paragraph("更多正文。")
    document.add_heading("第二篇", level=1)
    document.add_paragraph("第二篇的正文。")

    parsed = parse_docx(save(document))

    assert [a.title for a in parsed.articles] == ["第一篇", "第二篇"]
    assert [a.section_name for a in parsed.articles] == [None, None]
    assert paragraphs_of(parsed.articles[0].body_html) == [
        ("p", "第一篇的正文。"),
        ("h3", "小标题"),
        ("p", "更多正文。"),
    ]


def test_centred_titles_and_square_marks():
    document = Document()
    document.add_paragraph("■行业趋势")
    title = document.add_paragraph("居中的标题")
    title.alignment = WD_ALIGN_PARAGRAPH.CENTER
    document.add_paragraph("　　正文第一段。")

    parsed = parse_docx(save(document))

    assert parsed.section_names == ["行业趋势"]
    assert [(a.title, a.section_name) for a in parsed.articles] == [("居中的标题", "行业趋势")]
    assert paragraphs_of(parsed.articles[0].body_html) == [("p", "正文第一段。")]


def test_titles_without_any_formatting_are_guessed_with_a_warning():
    parsed = parse_docx(build(titles="plain"))

    assert parsed.plain_titles
    assert any("没有加粗" in warning for warning in parsed.warnings)
    titles = [a.title for a in parsed.articles]
    # Each real title is found; the AI article's short subheadings look like titles too, which
    # the editor fixes with 并入上一篇 in the preview.
    assert titles[:4] == [*TITLES[:3], TITLES[3]]
    assert "深度学习加聊天" in titles
    # Indented short lines stay subheadings.
    assert "<h3>下沉到企业一线</h3>" in parsed.articles[2].body_html


def test_source_and_author_lines_become_fields():
    def add(document, title):
        if title == TITLES[0]:
            document.add_paragraph("来源：科技日报")
            document.add_paragraph("作者：张三")
        elif title == TITLES[1]:
            document.add_paragraph("（来源：《经济日报》 记者：李四）")
        elif title == TITLES[2]:
            document.add_paragraph("——打好服务牌")

    parsed = parse_docx(build([*sample_lines(), "　　（来源：新华社）"], add=add))
    first, second, third, fourth = parsed.articles

    assert (first.source, first.author) == ("科技日报", "张三")
    assert (second.source, second.author) == ("经济日报", "李四")
    assert third.subtitle == "打好服务牌"
    # A source line closing the article counts too, and leaves the body.
    assert fourth.source == "新华社"
    for article in parsed.articles:
        assert "来源" not in article.text.splitlines()[0]
        assert "新华社" not in article.body_html
    assert not first.body_html.startswith("<p>来源")


def test_a_table_keeps_its_cells_apart():
    def add(document, title):
        if title == TITLES[3]:
            table = document.add_table(rows=2, cols=3)
            rows = [("指标", "2022", "2023"), ("产值", "12.5", "13.8")]
            for row, values in zip(table.rows, rows, strict=True):
                for cell, value in zip(row.cells, values, strict=True):
                    cell.text = value

    parsed = parse_docx(build(add=add))
    body = parsed.articles[3].body_html

    assert body.startswith('<figure class="table"><table>')
    for value in ("指标", "2022", "2023", "产值", "12.5", "13.8"):
        assert f"<td><p>{value}</p></td>" in body
    assert parsed.articles[3].warnings == []


def test_an_image_is_read_and_reencoded():
    def add(document, title):
        if title == TITLES[2]:
            document.add_picture(io.BytesIO(png()))

    parsed = parse_docx(build(add=add))
    article = parsed.articles[2]

    assert article.image_indexes == [0]
    assert f'<figure class="image"><img src="{PLACEHOLDER}0"></figure>' in article.body_html
    [image] = parsed.images
    assert image.error == ""
    assert image.file.name.endswith(".png")
    assert article.warnings == []


def test_a_broken_image_is_left_out_with_a_warning():
    def add(document, title):
        if title == TITLES[2]:
            document.add_picture(io.BytesIO(png()))
            document.add_paragraph("图片下面的说明文字。")

    data = build(add=add)
    data = replace_member(data, "word/media/image1.png", broken_png())

    parsed = parse_docx(data)
    article = parsed.articles[2]

    assert article.image_indexes == []
    assert "<img" not in article.body_html
    assert "图片下面的说明文字。" in article.text
    assert len(article.warnings) == 1
    assert article.warnings[0].startswith("第 1 张图片未导入：无法识别该图片")
    assert [a.title for a in parsed.articles] == TITLES


def test_a_missing_editors_note_is_a_warning():
    parsed = parse_docx(build(note=False))

    assert not parsed.has_note
    assert parsed.note_html == ""
    assert any("没有找到“编者的话”" in warning for warning in parsed.warnings)
    assert [a.title for a in parsed.articles] == TITLES


def test_text_before_the_first_title_is_shown_with_a_warning():
    lines = [
        "许昌竞争情报快递",
        "2023年第12期",
        *[line for line in sample_lines() if line != "●编者的话"],
    ]
    parsed = parse_docx(build(lines))

    assert not parsed.has_note
    assert parsed.preamble_text.startswith(
        "许昌竞争情报快递\n2023年第12期\n许昌市科学技术情报研究所"
    )
    assert any("第一篇文章标题之前有文字" in warning for warning in parsed.warnings)
    assert parsed.year_number == (2023, 12)
    assert [a.title for a in parsed.articles] == TITLES


def test_text_under_a_section_without_a_title_becomes_an_article_to_check():
    document = Document()
    document.add_paragraph("●财经数据")
    document.add_paragraph("1—11月，全市规上工业增加值同比增长5.6%。")

    parsed = parse_docx(save(document))

    [article] = parsed.articles
    assert (article.title, article.section_name) == ("财经数据", "财经数据")
    assert "没有标题" in article.warnings[0]


@pytest.mark.parametrize("count", [1, 3])
def test_lists_stay_lists(count):
    document = Document()
    document.add_paragraph().add_run("有列表的文章").bold = True
    document.add_paragraph("正文。")
    for index in range(count):
        document.add_paragraph(f"要点{index + 1}", style="List Bullet")

    parsed = parse_docx(save(document))

    [article] = parsed.articles
    assert paragraphs_of(article.body_html)[1][0] == "ul"
    assert article.body_html.count("<li>") == count


def masthead(document):
    for text, size in (("许昌竞争情报快递", 28), ("2023年第12期（总第12期）", 14)):
        paragraph = document.add_paragraph()
        paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
        run = paragraph.add_run(text)
        run.bold = True
        run.font.size = Pt(size)
    document.add_paragraph(
        "许昌市科学技术情报研究所编　　2023年12月15日"
    ).alignment = WD_ALIGN_PARAGRAPH.CENTER


@pytest.mark.parametrize("note", [True, False])
def test_the_masthead_is_never_an_article(note):
    document = Document()
    masthead(document)
    if note:
        document.add_paragraph("●编者的话")
        document.add_paragraph("本期关注区域科技创新。")
    document.add_paragraph().add_run("我国综合科技创新水平持续提升").bold = True
    document.add_paragraph("正文。")

    parsed = parse_docx(save(document))

    assert [a.title for a in parsed.articles] == ["我国综合科技创新水平持续提升"]
    assert parsed.preamble_text.splitlines() == [
        "许昌竞争情报快递",
        "2023年第12期（总第12期）",
        "许昌市科学技术情报研究所编　　2023年12月15日",
    ]
    assert parsed.year_number == (2023, 12)
    assert parsed.has_note is note


def test_numbered_parts_of_an_article_stay_in_it():
    document = Document()
    document.add_paragraph().add_run("推动企业转型升级的几点做法").bold = True
    document.add_paragraph("　　今年以来，我市多措并举。")
    for heading in ("一、加强组织领导，强化责任落实", "（二）优化营商环境", "3. 做好要素保障"):
        document.add_paragraph().add_run(heading).bold = True
        document.add_paragraph("　　具体做法如下。")

    parsed = parse_docx(save(document))

    [article] = parsed.articles
    assert [text for tag, text in paragraphs_of(article.body_html) if tag == "h3"] == [
        "一、加强组织领导，强化责任落实",
        "（二）优化营商环境",
        "3. 做好要素保障",
    ]


def test_a_caption_under_a_picture_is_not_a_title():
    document = Document()
    document.add_paragraph().add_run("深圳打好服务牌").bold = True
    document.add_picture(io.BytesIO(png()))
    document.add_paragraph("深圳市工业展览馆").alignment = WD_ALIGN_PARAGRAPH.CENTER
    document.add_paragraph("图2 企业展示专区")
    document.add_paragraph("　　正文。")
    title = document.add_paragraph()
    title.alignment = WD_ALIGN_PARAGRAPH.CENTER
    title.add_run("居中加粗的下一篇标题").bold = True
    document.add_paragraph("　　下一篇的正文。")

    parsed = parse_docx(save(document))

    assert [a.title for a in parsed.articles] == ["深圳打好服务牌", "居中加粗的下一篇标题"]
    assert paragraphs_of(parsed.articles[0].body_html)[1:] == [
        ("p", "深圳市工业展览馆"),
        ("p", "图2 企业展示专区"),
        ("p", "正文。"),
    ]


def test_word_indentation_on_a_bold_title_keeps_it_a_title():
    document = Document()
    for title in ("第一篇", "第二篇"):
        paragraph = document.add_paragraph()
        paragraph.paragraph_format.first_line_indent = Pt(21)
        paragraph.add_run(title).bold = True
        body = document.add_paragraph(f"{title}的正文。")
        body.paragraph_format.first_line_indent = Pt(21)

    parsed = parse_docx(save(document))

    assert [a.title for a in parsed.articles] == ["第一篇", "第二篇"]
