"""Every rule names the clause it comes from by its document's title (政策文件 of the seed
ref_policy_documents), never by the hashed file name the catalog cites it by: the catalog refuses a rule
citing a document the seed does not list, and an operator reads the title in each rule check's
description and metadata, before a run and on every result."""

from __future__ import annotations

import csv
import re
import textwrap
from pathlib import Path

import dagster as dg
import pandas as pd
import pytest

from orchestration.rule_checks import check_spec
from quality.catalog import POLICY_DOCUMENTS_FILE, Rule, load_catalog, policy_documents
from warehouse.config import SEEDS_DIR

RULES = list(load_catalog().values())
HASHED_NAME = re.compile(r"\d{3}_[0-9a-f]{16}\.txt")
# How a clause names another document in the catalog: "004 §二".
SHORT_REFERENCE = re.compile(r"(?<!\d)\d{3}\s*§")


def _shown_to_people(rule: Rule, description: str | None, metadata: dict) -> None:
    """The description and metadata name the rule's document by title, and no document by file name."""
    # a result's metadata comes back as Dagster metadata values, a spec's as given
    metadata = {k: v.value if isinstance(v, dg.MetadataValue) else v for k, v in metadata.items()}
    texts = [description or "", *(str(v) for v in metadata.values())]
    assert metadata["document"] == rule.source_title, rule.rule_id
    assert metadata["clause"] == rule.clause, rule.rule_id
    assert metadata["clause"].startswith(rule.document.cited_as), rule.rule_id
    for text in texts:
        assert rule.source_doc not in text, (rule.rule_id, text)
        assert not HASHED_NAME.search(text), (rule.rule_id, text)
        assert not SHORT_REFERENCE.search(text), (rule.rule_id, text)


@pytest.mark.parametrize("rule", RULES, ids=lambda rule: rule.rule_id)
def test_each_rules_document_has_a_title_and_an_issuer_in_the_seed(rule: Rule):
    document = policy_documents()[rule.source_doc]
    assert document.title and document.issuer
    assert rule.source_title == document.title
    # a draft is cited as one: its figures may change before it is issued
    if document.status == "draft_for_comment":
        assert "征求意见稿" in rule.citation


def test_the_seed_gives_each_policy_documents_date_and_status():
    documents = policy_documents()
    policies = [d for d in documents.values() if d.kind == "policy"]
    assert len(policies) == 5
    for document in policies:
        assert document.status in ("issued", "draft_for_comment"), document.source_doc
        assert document.issued_on or document.status == "draft_for_comment", document.source_doc
    provincial = documents["001_be967120433f5e2d.txt"]
    assert provincial.document_number == "浙委发〔2018〕10号"
    assert provincial.issued_on.isoformat() == "2018-02-12"
    zhongwei = documents["004_dbbf6e220d356bb6.txt"]
    assert zhongwei.issued_on is None and zhongwei.issued_as == "2023年8月×日"


def test_every_document_a_reference_seed_cites_is_in_the_seed():
    documents = policy_documents()
    for path in sorted(SEEDS_DIR.glob("ref_*.csv")):
        if path == POLICY_DOCUMENTS_FILE:
            continue
        with path.open(encoding="utf-8") as f:
            cited = {row["source_doc"] for row in csv.DictReader(f) if "source_doc" in row}
        assert cited <= set(documents), f"{path.name} cites {sorted(cited - set(documents))}"


def test_every_clause_names_its_documents_by_title():
    rule = load_catalog()["PR01"]  # §一 总体目标; 004 §二; 002 §一(一)1
    assert rule.clause == (
        "《嘉兴市创建耕地保护示范市实施方案》§一 总体目标; 《关于进一步加强耕地保护工作的通知》§二; "
        "《杭州市耕地保护“十四五”规划》§一(一)1"
    )
    assert rule.citation.startswith(
        "《嘉兴市创建耕地保护示范市实施方案》(嘉兴市人民政府办公室, 2023-07-05) §一 总体目标; "
        "《关于进一步加强耕地保护工作的通知》(中共中卫市委员会办公室 中卫市人民政府办公室, 2023年8月×日, "
        "征求意见稿) §二"
    )
    for rule in RULES:
        for text in (rule.clause, rule.citation):
            assert not HASHED_NAME.search(text) and not SHORT_REFERENCE.search(text), (rule.rule_id, text)


def _catalog(tmp_path: Path, source_doc: str, source_clause: str) -> Path:
    path = tmp_path / "catalog.yml"
    path.write_text(
        textwrap.dedent(
            f"""\
            - rule_id: PR99
              kind: PR
              title_zh: 测试规则
              title_en: A test rule
              grain: county
              severity: warn
              consequence: finding
              source_doc: {source_doc}
              source_clause: "{source_clause}"
            """
        ),
        encoding="utf-8",
    )
    return path


def test_a_rule_citing_a_document_the_seed_does_not_list_is_refused(tmp_path):
    with pytest.raises(ValueError, match=r"PR99 cites 999_0123456789abcdef\.txt.*ref_policy_documents\.csv"):
        load_catalog(_catalog(tmp_path, "999_0123456789abcdef.txt", "§一"))


def test_a_clause_naming_a_document_the_seed_does_not_list_is_refused(tmp_path):
    catalog = _catalog(tmp_path, "000_f5ee36e5f3da67cd.txt", "§一; 007 §二")
    with pytest.raises(ValueError, match=r"PR99 .* document 007, which is not in .*ref_policy_documents"):
        load_catalog(catalog)
    # the same catalog loads once the seed lists a document 007
    documents = tmp_path / "documents.csv"
    documents.write_text(
        POLICY_DOCUMENTS_FILE.read_text(encoding="utf-8")
        + "007_0123456789abcdef.txt,policy,测试文件,测试机关,,,,unknown,,issued,\n",
        encoding="utf-8",
    )
    [rule] = load_catalog(catalog, documents).values()
    assert rule.clause == "《嘉兴市创建耕地保护示范市实施方案》§一; 《测试文件》§二"


@pytest.mark.parametrize("rule", RULES, ids=lambda rule: rule.rule_id)
def test_a_rule_checks_spec_names_the_clause_by_the_documents_title(rule: Rule):
    spec = check_spec(rule, dg.AssetKey(["raw", "dltb"]))
    assert rule.source_title in spec.description
    _shown_to_people(rule, spec.description, spec.metadata)


def test_every_rule_check_result_names_the_clause_by_the_documents_title():
    from orchestration.assets.quality_rules import QUARANTINE_RULES, REJECTS_KEY, _check_result
    from orchestration.assets.raw_layers import FILE_RULES, _file_check_results
    from quality.runner import RuleOutcome
    from sources.layers import LAYERS_BY_CODE

    for rule in QUARANTINE_RULES:
        outcome = RuleOutcome(rule, 2, pd.DataFrame({"entity_id": ["7"]}), pd.DataFrame(), [])
        result = _check_result(outcome, REJECTS_KEY)
        assert result.metadata["entities"].value == ["7"]
        _shown_to_people(rule, result.description, result.metadata)
    refused = pd.DataFrame(
        {
            "rule_id": [rule.rule_id for rule in FILE_RULES],
            "status": "failed",
            "observed": [f"survey/2023/DLTB_{i}.gpkg" for i in range(len(FILE_RULES))],
            "reason": "refused",
        }
    )
    results = _file_check_results(LAYERS_BY_CODE["DLTB"], refused)
    assert [r.check_name for r in results] == [rule.check_name for rule in FILE_RULES]
    for rule, result in zip(FILE_RULES, results, strict=True):
        assert result.metadata["files_refused"].value == 1
        _shown_to_people(rule, result.description, result.metadata)
