"""Unit tests for issuer.openbadges.baking.svg: the badge element, OB 2.0 and 3.0 (spec 4.2)."""

from __future__ import annotations

import json
from typing import Any
from xml.etree.ElementTree import Element

import pytest
from defusedxml.ElementTree import fromstring

from issuer.openbadges.baking import BakingError, bake_svg, unbake_svg
from tests.support import ASSERTION_ID, HOSTED_JSON, JWS, SVG_150, URL, needs_vendor
from tests.unit.openbadges.baking.samples import (
    BAKERY_FIXTURES,
    CREDENTIAL_JSON,
    OB3_FIXTURES,
    jwt_claims,
)

OB_NS = "http://openbadges.org"
ASSERTION = "{" + OB_NS + "}assertion"
SVG_NS = "http://www.w3.org/2000/svg"
NS_DECLARATION = ' xmlns:openbadges="http://openbadges.org"'

OB3_NS = "https://purl.imsglobal.org/ob/v3p0"
CREDENTIAL = "{" + OB3_NS + "}credential"
OB3_DECLARATION = f' xmlns:openbadges="{OB3_NS}"'


# --- helpers ---------------------------------------------------------------------------------


def parse(svg: str) -> Element[Any]:
    root: Element[Any] = fromstring(svg)
    return root


def assertions(root: Element[Any]) -> list[Element[Any]]:
    return list(root.iter(ASSERTION))


def credentials(root: Element[Any]) -> list[Element[Any]]:
    return list(root.iter(CREDENTIAL))


# --- SVG: round trips ------------------------------------------------------------------------


def test_svg_hosted_json_round_trip() -> None:
    baked = bake_svg(SVG_150, HOSTED_JSON)
    root = parse(baked)
    (element,) = assertions(root)
    assert element.get("verify") == ASSERTION_ID
    assert element.text == HOSTED_JSON
    assert json.loads(element.text or "")["id"] == ASSERTION_ID
    assert f"<![CDATA[{HOSTED_JSON}]]></openbadges:assertion>" in baked
    # Like openbadges-bakery, unbaking returns the verify attribute: the hosted URL.
    assert unbake_svg(baked) == ASSERTION_ID


def test_svg_jws_is_a_self_closing_verify_attribute() -> None:
    baked = bake_svg(SVG_150, JWS)
    assert f'<openbadges:assertion verify="{JWS}"/>' in baked
    (element,) = assertions(parse(baked))
    assert element.get("verify") == JWS
    assert element.text is None
    assert len(element) == 0
    assert unbake_svg(baked) == JWS


def test_svg_url_is_a_self_closing_verify_attribute() -> None:
    baked = bake_svg(SVG_150, URL)
    assert f'<openbadges:assertion verify="{URL}"/>' in baked
    assert unbake_svg(baked) == URL


def test_svg_element_comes_right_after_the_root_start_tag() -> None:
    baked = bake_svg(SVG_150, URL)
    root_tag = SVG_150[: SVG_150.index(">")] + NS_DECLARATION + ">"
    assert baked.startswith(root_tag + "<openbadges:assertion ")
    assert parse(baked)[0].tag == ASSERTION


def test_svg_drawing_is_unchanged() -> None:
    baked = bake_svg(SVG_150, HOSTED_JSON)
    element = baked[baked.index("<openbadges:assertion") : baked.index("</svg>")]
    element = element[: element.index("</openbadges:assertion>") + len("</openbadges:assertion>")]
    assert baked.replace(element, "", 1).replace(NS_DECLARATION, "", 1) == SVG_150
    before, after = parse(SVG_150), parse(baked)
    assert after.attrib == before.attrib
    drawing = [child for child in after if child.tag != ASSERTION]
    assert [(c.tag, c.attrib) for c in drawing] == [(c.tag, c.attrib) for c in before]


def test_namespace_is_declared_once() -> None:
    once = bake_svg(SVG_150, URL)
    twice = bake_svg(once, HOSTED_JSON)
    assert once.count("xmlns:openbadges=") == 1
    assert twice.count("xmlns:openbadges=") == 1


def test_rebaking_replaces_the_element() -> None:
    baked = bake_svg(bake_svg(bake_svg(SVG_150, HOSTED_JSON), URL), JWS)
    assert len(assertions(parse(baked))) == 1
    assert baked.count("<openbadges:assertion") == 1
    assert unbake_svg(baked) == JWS
    assert baked == bake_svg(SVG_150, JWS)


def test_rebaking_removes_assertions_under_any_prefix_and_depth() -> None:
    svg = (
        '<svg xmlns="http://www.w3.org/2000/svg" xmlns:ob="http://openbadges.org">'
        '<ob:assertion verify="https://old.example.org/1"><![CDATA[{"a": 1}]]></ob:assertion>'
        '<g><assertion xmlns="http://openbadges.org" verify="https://old.example.org/2"/>'
        '<openbadges:assertion xmlns:openbadges="http://openbadges.org">'
        "<openbadges:assertion>nested</openbadges:assertion></openbadges:assertion>"
        '<circle r="1"/></g><assertion verify="not ours, SVG namespace"/></svg>'
    )
    baked = bake_svg(svg, URL)
    root = parse(baked)
    (element,) = assertions(root)
    assert element.get("verify") == URL
    assert baked.count("old.example.org") == 0
    assert "nested" not in baked
    assert '<g><circle r="1"/></g><assertion verify="not ours, SVG namespace"/></svg>' in baked


def test_json_holding_a_cdata_terminator_survives() -> None:
    payload = json.dumps({"id": ASSERTION_ID, "narrative": "a]]>b ]]]]> <![CDATA[ c"})
    baked = bake_svg(SVG_150, payload)
    (element,) = assertions(parse(baked))
    assert element.text == payload
    assert json.loads(element.text or "")["narrative"] == "a]]>b ]]]]> <![CDATA[ c"


def test_json_with_crlf_whitespace_is_accepted() -> None:
    payload = '{\r\n  "id": "https://issuer.example.org/a/1"\r\n}'
    (element,) = assertions(parse(bake_svg(SVG_150, payload)))
    assert json.loads(element.text or "") == json.loads(payload)


def test_verify_attribute_is_escaped() -> None:
    tricky = 'https://issuer.example.org/a?x=1&y="2"&z=<3>\''
    baked = bake_svg(SVG_150, json.dumps({"id": tricky}))
    assert 'verify="https://issuer.example.org/a?x=1&amp;y=&quot;2&quot;&amp;z=&lt;3&gt;\'"' in (
        baked
    )
    (element,) = assertions(parse(baked))
    assert element.get("verify") == tricky
    assert unbake_svg(baked) == tricky


def test_hosted_json_without_id_uses_the_old_verify_url() -> None:
    payload = json.dumps({"uid": "1", "verify": {"type": "hosted", "url": URL}})
    assert unbake_svg(bake_svg(SVG_150, payload)) == URL


# --- SVG: finding the root -------------------------------------------------------------------


def test_self_closing_root_is_expanded() -> None:
    svg = '<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10" />'
    baked = bake_svg(svg, URL)
    assert baked == (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"{NS_DECLARATION} >'
        f'<openbadges:assertion verify="{URL}"/></svg>'
    )
    assert unbake_svg(baked) == URL


def test_prolog_before_the_root_is_skipped() -> None:
    prolog = (
        "\ufeff<?xml version='1.0' encoding='UTF-8' standalone='no'?>\n"
        "<!-- not the root: <svg width='1'> -->\n"
        '<?xml-stylesheet href="style.css" type="text/css"?>\n'
        '<!DOCTYPE svg PUBLIC "-//W3C//DTD SVG 1.1//EN" '
        '"http://www.w3.org/Graphics/SVG/1.1/DTD/svg11.dtd" [\n'
        '  <!ATTLIST svg data-note CDATA "a > b ]">\n  <!-- ] > -->\n]>\n'
    )
    svg = prolog + '<svg xmlns="http://www.w3.org/2000/svg" title="a > b"><rect/></svg>\n'
    baked = bake_svg(svg, URL)
    assert baked.startswith(prolog)
    assert baked == (
        prolog + f'<svg xmlns="http://www.w3.org/2000/svg" title="a > b"{NS_DECLARATION}>'
        f'<openbadges:assertion verify="{URL}"/><rect/></svg>\n'
    )
    assert unbake_svg(baked) == URL


def test_root_with_a_prefix_and_single_quotes() -> None:
    svg = "<s:svg xmlns:s='http://www.w3.org/2000/svg'\n  id='x'><s:rect/></s:svg>"
    baked = bake_svg(svg, JWS)
    assert baked.startswith(
        f"<s:svg xmlns:s='http://www.w3.org/2000/svg'\n  id='x'{NS_DECLARATION}>"
    )
    assert unbake_svg(baked) == JWS


def test_comments_and_cdata_inside_the_root_are_skipped() -> None:
    svg = (
        '<svg xmlns="http://www.w3.org/2000/svg"><!-- <openbadges:assertion> -->'
        "<style><![CDATA[ rect > circle { fill: red } </g> ]]></style>"
        "<?pi <a> ?><text>1 &lt; 2 &gt; 0</text></svg>"
    )
    baked = bake_svg(svg, URL)
    assert baked.endswith(svg[len('<svg xmlns="http://www.w3.org/2000/svg">') :])
    assert unbake_svg(baked) == URL


# --- SVG: errors and unbaking ----------------------------------------------------------------


NON_SVG = pytest.mark.parametrize(
    ("svg", "message"),
    [
        ("", "not well-formed"),
        ("not xml at all", "not well-formed"),
        ("<svg><g></svg>", "not well-formed"),
        ('<html xmlns="http://www.w3.org/1999/xhtml"/>', "root element is <html>"),
        ('<svg xmlns="urn:not-svg"/>', "root element is <svg>"),
        (
            '<!DOCTYPE svg [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;">]><svg>&b;</svg>',
            "forbidden XML features",
        ),
        (
            '<!DOCTYPE svg [<!ENTITY x SYSTEM "file:///etc/passwd">]><svg>&x;</svg>',
            "forbidden XML features",
        ),
    ],
    ids=["empty", "text", "unclosed", "html", "other-namespace", "entities", "external-entity"],
)


@NON_SVG
def test_non_svg_raises(svg: str, message: str) -> None:
    with pytest.raises(BakingError, match=message):
        bake_svg(svg, URL)
    with pytest.raises(BakingError, match=message):
        unbake_svg(svg)


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        ("", "empty"),
        ("just some words", "neither assertion JSON"),
        ("ftp://example.org/a", "neither assertion JSON"),
        ("https://example.org/a b", "neither assertion JSON"),
        ("a.b", "neither assertion JSON"),
        ("{not json", "not valid JSON"),
        ('{"id": "urn:uuid:1234"}', "no http"),
        ('{"id": "https://example.org/a\x01"}', "characters that XML cannot hold"),
    ],
    ids=["empty", "words", "ftp", "space", "two-parts", "json", "no-url", "control"],
)
def test_bad_svg_payload_raises(payload: str, message: str) -> None:
    with pytest.raises(BakingError, match=message):
        bake_svg(SVG_150, payload)


def test_a_conflicting_openbadges_prefix_is_bound_again_on_our_element() -> None:
    svg = '<svg xmlns="http://www.w3.org/2000/svg" xmlns:openbadges="urn:other"/>'
    baked = bake_svg(svg, URL)
    assert baked == (
        '<svg xmlns="http://www.w3.org/2000/svg" xmlns:openbadges="urn:other">'
        f'<openbadges:assertion xmlns:openbadges="{OB_NS}" verify="{URL}"/></svg>'
    )
    assert unbake_svg(baked) == URL


def test_unbake_of_an_unbaked_svg_is_none() -> None:
    assert unbake_svg(SVG_150) is None


def test_unbake_falls_back_to_the_element_text() -> None:
    svg = (
        '<svg xmlns="http://www.w3.org/2000/svg" xmlns:openbadges="http://openbadges.org">'
        '<openbadges:assertion verify="  "><![CDATA[\n  {"id": "x"}\n]]></openbadges:assertion>'
        "</svg>"
    )
    assert unbake_svg(svg) == '{"id": "x"}'
    empty = svg.replace('<![CDATA[\n  {"id": "x"}\n]]>', "")
    assert unbake_svg(empty) is None


def test_unbake_takes_the_first_assertion() -> None:
    svg = (
        '<svg xmlns="http://www.w3.org/2000/svg" xmlns:ob="http://openbadges.org">'
        '<g><ob:assertion verify="first"/></g><ob:assertion verify="second"/></svg>'
    )
    assert unbake_svg(svg) == "first"


# --- vendored fixtures (openbadges-bakery) ---------------------------------------------------


def test_vendored_baked_example_svg() -> None:
    path = needs_vendor(BAKERY_FIXTURES / "baked_example.svg")
    svg = path.read_text(encoding="utf-8")
    assert unbake_svg(svg) == "https://example.org/assertion.json"
    rebaked = bake_svg(svg, JWS)
    assert rebaked.count("openbadges:assertion") == 1
    assert rebaked.count("xmlns:openbadges=") == 1
    assert unbake_svg(rebaked) == JWS
    root = parse(rebaked)
    drawing = [f"{{{SVG_NS}}}{name}" for name in ("rect", "circle", "text")]
    assert [child.tag for child in root] == [ASSERTION, *drawing]


# --- OB 3.0 SVG: the openbadges:credential element -------------------------------------------


def test_ob3_svg_jws_is_a_self_closing_verify_attribute() -> None:
    baked = bake_svg(SVG_150, JWS, version="ob3")
    root_tag = SVG_150[: SVG_150.index(">")] + OB3_DECLARATION + ">"
    assert baked.startswith(f'{root_tag}<openbadges:credential verify="{JWS}"/>')
    root = parse(baked)
    (element,) = credentials(root)
    assert root[0] is element
    assert element.text is None
    assert len(element) == 0
    assert unbake_svg(baked, version="ob3") == JWS
    assert unbake_svg(baked) is None


def test_ob3_svg_json_is_cdata_without_verify() -> None:
    baked = bake_svg(SVG_150, CREDENTIAL_JSON, version="ob3")
    assert "<openbadges:credential><![CDATA[{" in baked
    assert "]]></openbadges:credential>" in baked
    (element,) = credentials(parse(baked))
    assert "verify" not in element.attrib
    # The credential holds "]]>", which must be split across two CDATA sections.
    assert element.text == CREDENTIAL_JSON
    assert unbake_svg(baked, version="ob3") == CREDENTIAL_JSON
    assert json.loads(unbake_svg(baked, version="ob3") or "")["proof"]["type"] == (
        "DataIntegrityProof"
    )


def test_ob3_svg_drawing_is_unchanged() -> None:
    baked = bake_svg(SVG_150, JWS, version="ob3")
    element = f'<openbadges:credential verify="{JWS}"/>'
    assert baked.replace(element, "", 1).replace(OB3_DECLARATION, "", 1) == SVG_150


def test_ob3_rebaking_replaces_the_element() -> None:
    once = bake_svg(SVG_150, CREDENTIAL_JSON, version="ob3")
    twice = bake_svg(once, JWS, version="ob3")
    assert twice == bake_svg(SVG_150, JWS, version="ob3")
    assert twice.count("xmlns:openbadges=") == 1
    assert len(credentials(parse(twice))) == 1


def test_ob3_rebaking_removes_credentials_under_any_prefix_and_depth() -> None:
    svg = (
        f'<svg xmlns="http://www.w3.org/2000/svg" xmlns:c="{OB3_NS}">'
        '<c:credential verify="old.old.old"/>'
        f'<g><credential xmlns="{OB3_NS}"><![CDATA[{{"old": 1}}]]></credential>'
        '<circle r="1"/></g><credential verify="not ours, SVG namespace"/></svg>'
    )
    baked = bake_svg(svg, JWS, version="ob3")
    (element,) = credentials(parse(baked))
    assert element.get("verify") == JWS
    assert "old" not in baked
    assert '<g><circle r="1"/></g><credential verify="not ours, SVG namespace"/></svg>' in baked


def test_svg_with_an_ob2_assertion_gains_an_ob3_element_that_binds_its_own_prefix() -> None:
    ob2 = bake_svg(SVG_150, HOSTED_JSON)
    both = bake_svg(ob2, JWS, version="ob3")
    # Readers look for the literal name openbadges:credential, so the prefix is kept and bound
    # to the OB 3.0 namespace on the element itself.
    element = f'<openbadges:credential xmlns:openbadges="{OB3_NS}" verify="{JWS}"/>'
    root_tag = SVG_150[: SVG_150.index(">")] + NS_DECLARATION + ">"
    assert both.startswith(f"{root_tag}{element}<openbadges:assertion ")
    root = parse(both)
    assert [child.tag for child in root][:2] == [CREDENTIAL, ASSERTION]
    assert unbake_svg(both) == ASSERTION_ID
    assert unbake_svg(both, version="ob3") == JWS
    assert both.replace(element, "") == ob2  # the OB 2.0 element is untouched

    # Re-baking either version keeps the other, once.
    new_ob3 = bake_svg(both, CREDENTIAL_JSON, version="ob3")
    assert len(credentials(parse(new_ob3))) == 1
    assert unbake_svg(new_ob3, version="ob3") == CREDENTIAL_JSON
    assert unbake_svg(new_ob3) == ASSERTION_ID
    new_ob2 = bake_svg(both, URL)
    assert new_ob2.count("xmlns:openbadges=") == 2  # the root's and the OB 3.0 element's
    assert len(assertions(parse(new_ob2))) == 1
    assert unbake_svg(new_ob2) == URL
    assert unbake_svg(new_ob2, version="ob3") == JWS


def test_an_ob3_prefix_already_bound_on_the_root_is_reused() -> None:
    svg = f'<svg xmlns="http://www.w3.org/2000/svg" xmlns:openbadges="{OB3_NS}"><rect/></svg>'
    baked = bake_svg(svg, JWS, version="ob3")
    assert baked == svg.replace("<rect/>", f'<openbadges:credential verify="{JWS}"/><rect/>')


def test_ob2_into_an_svg_baked_with_ob3_keeps_both() -> None:
    ob3_first = bake_svg(SVG_150, JWS, version="ob3")
    both = bake_svg(ob3_first, URL)
    assert f'<openbadges:assertion xmlns:openbadges="{OB_NS}" verify="{URL}"/>' in both
    assert unbake_svg(both) == URL
    assert unbake_svg(both, version="ob3") == JWS


def test_ob3_unbake_of_an_ob2_only_svg_is_none_and_vice_versa() -> None:
    assert unbake_svg(bake_svg(SVG_150, JWS), version="ob3") is None
    assert unbake_svg(SVG_150, version="ob3") is None
    ob3_only = (
        f'<svg xmlns="http://www.w3.org/2000/svg" xmlns:openbadges="{OB3_NS}">'
        f'<openbadges:credential verify="{JWS}"/></svg>'
    )
    assert unbake_svg(ob3_only) is None
    assert unbake_svg(ob3_only, version="ob3") == JWS


def test_ob3_unbake_takes_the_first_element_and_falls_back_to_its_text() -> None:
    svg = (
        f'<svg xmlns="http://www.w3.org/2000/svg" xmlns:c="{OB3_NS}">'
        '<g><c:credential verify=" "><![CDATA[\n  {"id": "first"}\n]]></c:credential></g>'
        '<c:credential verify="second"/></svg>'
    )
    assert unbake_svg(svg, version="ob3") == '{"id": "first"}'
    empty = svg.replace('<![CDATA[\n  {"id": "first"}\n]]>', "")
    assert unbake_svg(empty, version="ob3") is None


@NON_SVG
def test_non_svg_raises_for_ob3(svg: str, message: str) -> None:
    with pytest.raises(BakingError, match=message):
        bake_svg(svg, JWS, version="ob3")
    with pytest.raises(BakingError, match=message):
        unbake_svg(svg, version="ob3")


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        ("", "empty"),
        (URL, "neither credential JSON nor a compact VC-JWT"),
        ("just some words", "neither credential JSON"),
        ("a.b", "neither credential JSON"),
        (JWS + "\n", "neither credential JSON"),
        ("{not json", "not valid JSON"),
        ('{"name": "a\x01"}', "characters that XML cannot hold"),
    ],
    ids=["empty", "url", "words", "two-parts", "newline", "json", "control"],
)
def test_bad_ob3_svg_payload_raises(payload: str, message: str) -> None:
    with pytest.raises(BakingError, match=message):
        bake_svg(SVG_150, payload, version="ob3")


# --- OB 3.0 vendored fixtures (1EdTech validator) --------------------------------------------


@pytest.mark.parametrize("name", ["simple-jwt.svg", "simple-json.svg"])
def test_vendored_1edtech_ob3_svg(name: str) -> None:
    path = needs_vendor(OB3_FIXTURES / name)
    svg = path.read_text(encoding="utf-8")
    text = unbake_svg(svg, version="ob3")
    assert text is not None
    credential = jwt_claims(text) if name == "simple-jwt.svg" else json.loads(text)
    assert credential["type"] == ["VerifiableCredential", "OpenBadgeCredential"]
    assert credential["id"] == "http://example.com/credentials/3527"
    assert unbake_svg(svg) is None
    # The fixture binds openbadges to the OB 3.0 namespace already: reused, not redeclared.
    rebaked = bake_svg(svg, CREDENTIAL_JSON, version="ob3")
    assert rebaked.count("xmlns:openbadges=") == 1
    assert rebaked.count("<openbadges:credential") == 1
    assert unbake_svg(rebaked, version="ob3") == CREDENTIAL_JSON
    assert parse(rebaked)[0].tag == CREDENTIAL
