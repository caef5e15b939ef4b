"""Fake but realistic-looking personal data: 田长 names and mobile numbers, paying companies.

Common GB2312 characters only, so every name survives a GBK export. The numbers are 11-digit mainland
mobile numbers (1[3-9]x …) drawn at random; they belong to nobody in particular.
"""

from __future__ import annotations

import numpy as np

_SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程苏魏吕丁任沈"
    "姚卢姜崔钟谭陆汪范金石廖贾夏付方邹孟熊秦邱江尹薛段雷侯龙史陶黎贺顾毛郝龚邵万钱严武戴莫孔汤"
)
_GIVEN = (
    "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华建国文红玉兰新民海峰志宏晓东林波斌辉鹏飞云燕"
    "春梅雪琴良成忠德福荣祥利生才永清月慧俊杰亮佳浩宇"
)
_MOBILE_PREFIXES = (
    "130",
    "131",
    "132",
    "133",
    "135",
    "136",
    "137",
    "138",
    "139",
    "150",
    "151",
    "152",
    "153",
    "155",
    "157",
    "158",
    "159",
    "170",
    "173",
    "176",
    "177",
    "180",
    "181",
    "182",
    "183",
    "186",
    "187",
    "188",
    "189",
    "191",
    "198",
    "199",
)
_FIRM_WORDS = (
    "城市建设投资",
    "交通投资",
    "开发建设",
    "产业园区开发",
    "水利投资",
    "滨海新区开发",
    "高新技术产业",
    "现代物流",
    "新材料科技",
    "智能装备",
    "港口发展",
    "文化旅游发展",
)
_FIRM_SUFFIXES = ("有限公司", "集团有限公司", "股份有限公司")


def person_name(rng: np.random.Generator) -> str:
    surname = _SURNAMES[rng.integers(len(_SURNAMES))]
    n_characters = 1 if rng.random() < 0.3 else 2
    return surname + "".join(_GIVEN[rng.integers(len(_GIVEN))] for _ in range(n_characters))


def mobile(rng: np.random.Generator) -> str:
    prefix = _MOBILE_PREFIXES[rng.integers(len(_MOBILE_PREFIXES))]
    return prefix + "".join(str(digit) for digit in rng.integers(0, 10, 8))


def company(rng: np.random.Generator, place: str) -> str:
    """A construction unit (建设单位) of a county: 嘉兴市南湖区城市建设投资集团有限公司."""
    word = _FIRM_WORDS[rng.integers(len(_FIRM_WORDS))]
    return f"嘉兴市{place}{word}{_FIRM_SUFFIXES[rng.integers(len(_FIRM_SUFFIXES))]}"
