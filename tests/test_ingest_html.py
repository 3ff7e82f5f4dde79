"""HTML ingest: main text without boilerplate, metadata with origins, pages of posts split."""

import pytest

from provenance import ingest
from provenance.ingest.base import Hint

INGEST = "ingest"


def extract(fixtures, name, url=None):
    path = fixtures / INGEST / name if (fixtures / INGEST / name).exists() else fixtures / name
    return ingest.extract(path.read_bytes(), Hint(name=name, url=url))


@pytest.fixture
def page(fixtures):
    return extract(fixtures, "boilerplate-page.html")


@pytest.mark.parametrize(
    "marker",
    [
        "NAV-MARKER",
        "COOKIE-MARKER",
        "SHARE-MARKER",
        "COMMENT-MARKER",
        "FOOTER-MARKER",
        "RELATED-MARKER",
        "You Might Also Like",
        "SUBSCRIBE-MARKER",
        "PAGINATION-MARKER",
        "SCRIPT-MARKER",
        "STYLE-MARKER",
        "ALT-MARKER",
        "HIDDEN-MARKER",
    ],
)
def test_boilerplate_stays_out_of_the_text_layer(page, marker):
    assert marker not in page.text


def test_article_paragraphs_are_kept_in_order(page):
    text = page.text
    first = text.index("The Merrow island ferry will raise its fares by 10 percent")
    last = text.index("rising fuel costs left it no choice")
    assert first < text.index("84 pounds, up from 76 pounds") < last


def test_headings_and_quotations_keep_their_kind(page):
    kinds = {page.text[s.start : s.end]: s.kind for s in page.structure}
    assert kinds["Islanders object"] == "heading"
    assert kinds["Ferry fares to rise by a tenth"] == "heading"
    quote = "We were promised that fares would be frozen until the new vessel arrived."
    assert kinds[quote] == "quotation"


def test_image_alt_text_is_not_glued_to_its_paragraph(page):
    assert "The Merrow island ferry" in page.text
    assert "the ferry at dawnThe Merrow" not in page.text


def test_every_structure_span_holds_its_block(page):
    for span in page.structure:
        block = page.text[span.start : span.end]
        assert block and block == block.strip()


def test_metadata_comes_from_json_ld_with_its_origin(page):
    assert page.title == "Ferry fares to rise by a tenth"
    assert page.author == "Dana Hollis"  # a Person referenced by @id in the @graph
    assert page.publisher == "The Merrow Gazette"
    assert page.published == "2021-03-04T07:15:00+00:00"
    assert page.modified == "2021-03-05T10:00:00+00:00"
    assert page.language == "en-GB"
    origins = page.metadata["field_origins"]
    assert origins["title"] == "json-ld:headline"
    assert origins["author"] == "json-ld:author"
    assert origins["published"] == "json-ld:datePublished"


def test_other_declared_titles_are_kept(page):
    assert page.metadata["titles"]["meta[property=og:title]"] == "Ferry fares up 10% from April"


def test_a_page_whose_declared_charset_lies_is_decoded(fixtures):
    record = extract(fixtures, "charset-lies.html")  # says iso-8859-1, is UTF-8
    assert "The café owners’ association in Lønnby" in record.text
    assert record.metadata["encoding"] == "utf-8"


def test_metadata_from_meta_tags_records_where_it_came_from(fixtures):
    record = extract(fixtures, "article.html")
    origins = record.metadata["field_origins"]
    assert origins["author"] == "meta[name=author]"
    assert origins["published"] == "meta[property=article:published_time]"
    assert origins["canonical_url"] == "link[rel=canonical]"


# --- pages holding many posts -------------------------------------------------------------

POSTS = {
    "archive-hentry.html": [
        ("Counting fish at the weir", "/2012/04/18/weir-counts/", "2012-04-18", "Ada Moss"),
        ("The flood meeting", "/2012/03/02/flood-meeting/", "2012-03-02", "Ben Ruiz"),
        ("Winter levels", "/2012/01/20/winter-levels/", "2012-01-20", "Ada Moss"),
    ],
    "blogposting-list.html": [
        (
            "Spring tides at Kell Point",
            "https://tidal.example/posts/spring-tides/",
            "2016-04-02",
            "Maren Toft",
        ),
        (
            "Storm surge warning lifted",
            "https://tidal.example/posts/storm-surge/",
            "2016-03-19",
            "Olav Brenn",
        ),
    ],
    "octopress-archive.html": [
        (
            "Caching Map Tiles at the Edge",
            "https://lantern.example/blog/2015/02/11/caching-tiles/",
            "2015-02-11",
            None,
        ),
        (
            "Retiring the Old Job Queue",
            "https://lantern.example/blog/2014/12/01/retiring-the-queue/",
            "2014-12-01",
            None,
        ),
        (
            "Hello from the Lantern Team",
            "https://lantern.example/blog/2014/06/20/first-post/",
            "2014-06-20",
            None,
        ),
    ],
    "category-one-post.html": [
        ("Retiring the Old Job Queue", "/blog/2014/12/01/retiring-the-queue/", "2014-12-01", None)
    ],
    "structural-list.html": [
        ("Nesting season starts early", "/2015/03/03/nesting/", "2015-03-03", None),
        ("Winter census results", "/2015/02/14/census/", "2015-02-14", None),
        ("Storm closes the jetty", "/2015/01/30/storm/", "2015-01-30", None),
    ],
}


@pytest.mark.parametrize("fixture", sorted(POSTS))
def test_each_post_becomes_a_child_with_its_own_fields(fixtures, fixture):
    record = extract(fixtures, fixture)
    found = [(c.title, c.url, (c.published or "")[:10], c.author) for c in record.children]
    assert found == POSTS[fixture]
    assert {c.kind for c in record.children} == {"post"}


@pytest.mark.parametrize("fixture", sorted(POSTS))
def test_posts_keep_offsets_into_the_page(fixtures, fixture):
    record = extract(fixtures, fixture)
    for child in record.children:
        assert record.text[child.parent_start : child.parent_end] == child.text
        for span in child.structure:
            assert child.text[span.start : span.end]


def test_post_categories_and_tags_are_kept(fixtures):
    octopress = extract(fixtures, "octopress-archive.html")
    assert octopress.children[0].metadata["categories"] == ["Maps", "Performance"]
    blog = extract(fixtures, "blogposting-list.html")
    assert [c.metadata["categories"] for c in blog.children] == [["Tides"], ["Weather"]]


def test_post_titles_leave_out_the_date_an_unclosed_heading_swallows(fixtures):
    record = extract(fixtures, "octopress-archive.html")
    assert all("/" not in c.title for c in record.children)


@pytest.mark.parametrize(
    "fixture", ["single-post-related.html", "boilerplate-page.html", "article.html"]
)
def test_a_single_article_is_never_split(fixtures, fixture):
    record = extract(fixtures, fixture)
    assert record.children == [] and record.kind == "html"


def test_the_page_of_posts_keeps_none_of_its_posts_dates_or_authors(fixtures):
    record = extract(fixtures, "blogposting-list.html")
    assert record.published is None and record.author is None


def test_wordpress_tag_page_posts_carry_author_and_tags():
    from .conftest import ROOT

    data = (ROOT / "sources" / "04-tidewatch-tag-fisheries.html").read_bytes()
    record = ingest.extract(data, Hint(name="tag.html"))
    assert [(c.author, c.tags) for c in record.children] == [
        ("Marek Ostrow", "fisheries, cables"),
        ("Lena Varga", "fisheries"),
        ("Marek Ostrow", "fisheries, budget"),
    ]
    assert (
        record.children[0].url
        == "https://tidewatch.example/2011/02/05/what-the-velmora-cable-says/"
    )


# --- which title a page gets ---------------------------------------------------------------

STORY = (
    "<p>The harbour board voted on Tuesday to raise ferry fares by a tenth from April, citing"
    " the cost of fuel. This page is fictional, written for the provenance test suite.</p>"
)


def html_page(head: str, body: str):
    markup = f"<html><head>{head}</head><body>{body}{STORY}</body></html>"
    return ingest.extract(markup.encode("utf-8"), Hint(name="page.html"))


def test_a_declared_title_without_the_site_part_the_page_shows_beside_its_headline():
    record = html_page(
        "<title>Ferry fares to rise | The Merrow Gazette</title>"
        '<meta property="og:title" content="Ferry fares to rise | The Merrow Gazette">',
        "<h1>Ferry fares to rise</h1>",
    )
    assert record.title == "Ferry fares to rise"
    assert (
        record.metadata["field_origins"]["title"] == "meta[property=og:title] without its site part"
    )


def test_a_declared_title_naming_only_the_site_and_a_generic_page_gives_way_to_the_headline():
    record = html_page(
        '<title>About Us - Merrow</title><meta property="og:site_name" content="Merrow">',
        "<h1>The harbour town's own paper</h1>",
    )
    assert record.title == "The harbour town's own paper"


def test_a_title_whose_page_part_is_lost_gives_way_to_the_first_heading():
    record = html_page("<title>Merrow Ferries -</title>", "<h2>Replacement buses this weekend</h2>")
    assert (record.title, record.metadata["field_origins"]["title"]) == (
        "Replacement buses this weekend",
        "h2",
    )


def test_a_breadcrumb_title_from_the_site_down_gives_its_last_part():
    record = html_page(
        "<title>Merrow Notes » Blog Archive » Interning small integers</title>",
        "<h1>Merrow Notes</h1><h2>Interning small integers</h2>",
    )
    assert record.title == "Interning small integers"


def test_a_title_the_page_shows_as_its_headline_stays():
    record = html_page(
        "<title>Ferry fares to rise by a tenth</title>"
        '<meta name="application-name" content="Ferry fares to rise by a tenth">',
        "<h1>Ferry fares to rise by a tenth</h1><h2>More from the Gazette</h2>",
    )
    assert record.title == "Ferry fares to rise by a tenth"


@pytest.mark.parametrize(
    ("document", "title"),
    [
        ("Ferry fares to rise by a tenth – The Merrow Gazette", "Ferry fares to rise by a tenth"),
        ("Ferry fares to rise by a tenth — The Merrow Gazette", "Ferry fares to rise by a tenth"),
        # the cut would leave four words or fewer: the whole title is kept
        (
            "Fares: Ferry Fares Rise — ferry news for Merrow",
            "Fares: Ferry Fares Rise — ferry news for Merrow",
        ),
    ],
)
def test_en_and_em_dashes_separate_a_document_titles_parts(document, title):
    record = html_page(f"<title>{document}</title>", "")
    assert record.title == title


def test_the_main_text_records_how_it_was_chosen(fixtures):
    record = ingest.extract((fixtures / "article.html").read_bytes(), Hint(name="article.html"))
    chosen = record.metadata["main_text"]
    assert chosen["method"] in ("readability", "trafilatura")
    assert chosen["ours_chars"] > 0 and "trafilatura_chars" in chosen


def _wordpress_post(title: str, slug: str) -> str:
    return (
        f'<article class="post type-post hentry"><h2 class="entry-title"><a href="/{slug}/">'
        f'{title}</a></h2><time class="entry-date" datetime="2031-05-0{len(slug) % 9}">May</time>'
        "<div class='entry-content'><p>The harbour authority met the ferry operators on Monday "
        "and agreed new berthing rules for the summer season, officials said.</p></div>"
        '<footer class="entry-footer"><span class="cat-links">'
        '<a href="/category/libya/" rel="category tag">Libya</a></span>'
        '<span class="tags-links"><a href="/tag/libya/" rel="tag">Libya</a>, '
        '<a href="/tag/ports/" rel="tag">ports</a></span></footer></article>'
    )


def test_a_tag_that_is_also_a_category_is_kept_in_both():
    page = (
        "<html><head><title>Category: Libya</title></head><body class='archive category'>"
        "<h1 class='page-title'>Category: Libya</h1><main>"
        + _wordpress_post("Ferry rules agreed", "ferry")
        + _wordpress_post("Quay repairs begin", "quay")
        + "</main></body></html>"
    )
    record = ingest.extract(page.encode(), Hint(name="libya.html", url="https://example.org/c/"))
    assert [(c.tags, c.metadata["categories"]) for c in record.children] == [
        ("Libya, ports", ["Libya"]),
        ("Libya, ports", ["Libya"]),
    ]


def test_a_single_post_page_records_its_tags_and_categories_with_their_origin():
    page = (
        "<html><head><title>Ferry rules agreed</title></head><body class='single'>"
        + _wordpress_post("Ferry rules agreed", "ferry")
        + "<aside><a rel='tag' href='/tag/sidebar/'>sidebar</a></aside></body></html>"
    )
    record = ingest.extract(page.encode(), Hint(name="ferry.html"))
    assert (record.tags, record.metadata["categories"]) == ("Libya, ports", ["Libya"])
    assert record.metadata["field_origins"]["tags"] == "markup:post"
    assert record.metadata["field_origins"]["categories"] == "markup:post"


def test_article_tag_meta_elements_give_tags_when_the_markup_has_none():
    page = (
        "<html><head><title>Quay repairs</title>"
        '<meta property="article:section" content="Harbour">'
        '<meta property="article:tag" content="ports"><meta property="article:tag" content="quay">'
        "</head><body><article><h1>Quay repairs</h1><p>"
        + "The quay will be repaired over the summer, the harbour authority said. " * 5
        + "</p></article></body></html>"
    )
    record = ingest.extract(page.encode(), Hint(name="quay.html"))
    assert (record.tags, record.metadata["categories"]) == ("ports, quay", ["Harbour"])
    assert record.metadata["field_origins"]["tags"] == "meta[property=article:tag]"


def test_the_parser_gives_every_node_the_class_lxml_html_would():
    import lxml.html

    from provenance.ingest.html import parse_html

    markup = (
        "<!DOCTYPE html><html><head><title>T</title></head><body><!-- a comment -->"
        "<?pi x?><FORM action='/'><Label>L</Label><input name='q'><select><option>o</select>"
        "<textarea>t</textarea></FORM><p>A <b>bold</b> word &amp; more</p><svg><path/></svg>"
        "</body></html>"
    )
    ours = [type(node) for node in parse_html(markup).iter()]
    reference = [type(node) for node in lxml.html.document_fromstring(markup).iter()]
    assert ours == reference
    assert lxml.html.FormElement in ours and lxml.html.HtmlComment in ours


def test_page_links_leave_out_navigation_and_boxes_at_any_depth():
    from provenance.ingest.html import page_anchors, parse_html

    markup = """<html><body>
      <nav><ul><li><a href="/home">Home</a></li></ul></nav>
      <div class="wrapper"><article>
        <p>See <a href="/a">the first report</a> and <a href="#top">top</a>.</p>
        <div class="social-share"><span><a href="/share">Share</a></span></div>
        <p><a class="menu" href="/menu">menu link</a> <a href="mailto:x@example.org">mail</a>
           <a href="/b"><b>the second</b> report</a></p>
        <div id="related"><div><div><a href="/rel">Related</a></div></div></div>
      </article>
      <aside><a href="/side">Side</a></aside>
      <div class="content"><p><a href="/c">third</a></p></div></div>
      <footer><div><a href="/foot">Footer</a></div></footer>
    </body></html>"""
    assert page_anchors(parse_html(markup)) == [
        ("/a", "the first report"),
        ("/b", "the second report"),
        ("/c", "third"),
    ]


def test_post_elements_are_those_the_xpath_of_post_markup_selects():
    from provenance.ingest.html import parse_html
    from provenance.ingest.posts import post_elements

    xpath = (
        "//article"
        " | //*[contains(concat(' ', normalize-space(@class), ' '), ' hentry ')]"
        " | //*[contains(concat(' ', normalize-space(@class), ' '), ' h-entry ')]"
        " | //*[contains(concat(' ', normalize-space(@class), ' '), ' type-post ')]"
        " | //*[contains(@itemtype, 'BlogPosting')]"
    )
    classes = [
        "hentry", "post hentry", "a\thentry\nb", "x\u00a0hentry", "hentry-x", "xhentry",
        "h-entry", "h-entryx", "type-post", "post type-post", "type-posts", "HENTRY", "",
    ]  # fmt: skip
    body = "".join(f'<div class="{c}"><p>{i}</p></div>' for i, c in enumerate(classes))
    body += '<article><div itemtype="https://schema.org/BlogPosting">x</div></article>'
    body += '<section itemtype="Blog"><!-- c --><span class="hentry">y</span></section>'
    tree = parse_html(f"<html><body>{body}</body></html>")
    assert post_elements(tree) == tree.xpath(xpath)
    assert len(post_elements(tree)) == 9


def _saved_as_one_file(html: bytes, location: str = "https://ledger.example/story") -> bytes:
    """A page as a browser saves it as a single file (MHTML): the page quoted-printable, beside
    an image part."""
    import quopri

    boundary = b"----MultipartBoundary--x1"
    return b"".join(
        [
            b"From: <Saved by Blink>\r\nSnapshot-Content-Location: " + location.encode(),
            b"\r\nSubject: saved\r\nMIME-Version: 1.0\r\nContent-Type: multipart/related;\r\n",
            b'\ttype="text/html";\r\n\tboundary="' + boundary + b'"\r\n\r\n--' + boundary,
            b"\r\nContent-Type: text/html\r\nContent-ID: <frame-1@mhtml.blink>\r\n",
            b"Content-Transfer-Encoding: quoted-printable\r\nContent-Location: ",
            location.encode() + b"\r\n\r\n" + quopri.encodestring(html).replace(b"\n", b"\r\n"),
            b"\r\n--" + boundary + b"\r\nContent-Type: image/png\r\n",
            b"Content-Transfer-Encoding: base64\r\n\r\niVBORw0KGgo=\r\n--" + boundary + b"--\r\n",
        ]
    )


def test_a_page_saved_as_one_file_is_the_page(fixtures, run_json, tmp_path):
    """MHTML ("Save as: Webpage, Single File"): the text layer and fields of the page itself,
    not its quoted-printable escapes; verify re-extracts it the same way."""
    from provenance.pipeline import extract_record

    html = (fixtures / "article.html").read_bytes()
    saved = extract_record(_saved_as_one_file(html), Hint(name="story.mhtml"))
    page = extract_record(html, Hint(name="article.html"))
    assert saved.kind == "html" and "=3D" not in saved.text and "= " not in saved.title
    assert (saved.text, saved.title, saved.author) == (page.text, page.title, page.author)
    assert saved.metadata["container"] == "mhtml"
    assert saved.metadata["saved_from"] == "https://ledger.example/story"
    path = tmp_path / "story.mhtml"
    path.write_bytes(_saved_as_one_file(html))
    [added] = run_json("add", path)
    assert added["status"] == "added" and added["kind"] == "html"
    assert run_json("verify")["ok"]


def test_a_saved_message_without_a_page_is_refused():
    from provenance.errors import UnsupportedInput
    from provenance.pipeline import extract_record

    data = _saved_as_one_file(b"x").replace(
        b"Content-Type: text/html\r\n", b"Content-Type: text/css\r\n"
    )
    with pytest.raises(UnsupportedInput, match="without an HTML part"):
        extract_record(data, Hint(name="broken.mhtml"))


@pytest.mark.parametrize(
    "head",
    [
        b'<?xml version="1.0" encoding="utf-8"?>\n<rss version="2.0"><channel>',
        b'\xef\xbb\xbf<?xml version="1.0"?><!-- generator -->\n<feed xmlns="http://www.w3.org/2005/Atom">',
        b'<?xml version="1.0"?>\n<?xml-stylesheet href="f.xsl"?>\n<rdf:RDF xmlns:rdf="x">',
    ],
)
def test_a_news_feed_is_skipped_with_its_reason(run, tmp_path, head):
    feed = tmp_path / "feed.xml"
    item = b"<title>Mayor resigns</title><link>https://ledger.example/a</link>"
    feed.write_bytes(
        head + b"<item>" + item + b"<description>The mayor said he would go.</description></item>"
    )
    result = run("add", feed)
    assert result.exit_code == 0
    assert "skipped" in result.stderr and "an RSS or Atom feed, not a page" in result.stderr


def _story(head: str, body: str) -> bytes:
    return f"""<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">
<title>Ring road plans</title>{head}</head><body><article><h1>Ring road plans</h1>
{body}
<p>This is an invented story written for the provenance test suite; the places are fictional.
The council of Velden met on Tuesday and heard from residents about traffic in the old town,
where lorries have used the market square as a short cut for years.</p>
</article></body></html>""".encode()


def test_a_page_that_states_no_date_takes_none_from_its_sentences():
    body = (
        "<p>Councillor Olaf Rind said construction of the ring road will begin in June; the"
        " mayor had promised a ring road on February 3, 2009 and again in his last term.</p>"
    )
    record = ingest.extract(_story("", body), Hint(name="undated.html"))
    assert record.published is None


@pytest.mark.parametrize(
    ("body", "published"),
    [
        ("<div>Posted on Apr 7, 2009</div><p>Councillor Olaf Rind said work begins.</p>",
         "2009-04-07"),
        ("<p>April 17, 2015 -- Councillor Olaf Rind said construction of the ring road will"
         " begin in June, and the mayor agreed.</p>", "2015-04-17"),
        ('<p>By Anne Example <span class="pub-time">17 April 2015</span> and the desk, with'
         " reporting from the old town's market square</p>", "2015-04-17"),
    ],
)  # fmt: skip
def test_a_dateline_in_the_text_dates_a_page(body, published):
    record = ingest.extract(_story("", body), Hint(name="dated.html"))
    assert record.published == published
    assert record.metadata["field_origins"]["published"] == "htmldate"


def test_a_year_declared_alone_is_kept_not_replaced_by_a_year_in_the_text():
    head = (
        '<script type="application/ld+json">{"@type": "Report", "datePublished": "2011"}</script>'
    )
    body = "<p>The review compares the figures with those of 2005, when the road was planned.</p>"
    record = ingest.extract(_story(head, body), Hint(name="review.html"))
    assert record.published == "2011-01-01"  # a year alone (see works.time_rule)
    assert record.metadata["field_origins"]["published"] == "json-ld:datePublished:year"


def test_a_declared_time_is_kept_when_its_local_day_differs():
    head = '<meta property="article:published_time" content="2020-02-25T02:25:54Z">'
    body = "<div>Feb 24, 2020</div><p>Councillor Olaf Rind said work begins in June.</p>"
    # htmldate reads the local day from the address (the 24th) and used to replace the time.
    hint = Hint(name="late.html", url="https://example.invalid/2020/02/24/ring-road.html")
    record = ingest.extract(_story(head, body), hint)
    assert record.published == "2020-02-25T02:25:54Z"
