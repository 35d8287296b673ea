"""The reference network loaded by `make up`: Shanghai's 16 districts and main Yangtze River Delta cities.

Coordinates are district/city government seats (WGS 84); populations are 2020 census figures in
10,000s. Demand: Shanghai uses ~1,500 U of red cells and ~300 platelet doses a day (docs/domain-reference.md
§5), split by population and by ABO frequency (O 34.2 %, A 28.7 %, B 28.2 %, AB 8.9 %; RhD- 0.35 %);
other cities at Shanghai's rate per head. Plasma demand is taken as half the red-cell demand.
"""
from __future__ import annotations

# code, name, region, lat, lon, population (10k)
PLACES = [
    ("HP", "黄浦区", "SH", 31.2317, 121.4846, 66.2), ("XH", "徐汇区", "SH", 31.1885, 121.4365, 111.3),
    ("CN", "长宁区", "SH", 31.2204, 121.4244, 69.3), ("JA", "静安区", "SH", 31.2290, 121.4480, 97.6),
    ("PT", "普陀区", "SH", 31.2496, 121.3958, 124.0), ("HK", "虹口区", "SH", 31.2646, 121.5050, 75.7),
    ("YP", "杨浦区", "SH", 31.2595, 121.5260, 124.2), ("MH", "闵行区", "SH", 31.1127, 121.3816, 265.4),
    ("BS", "宝山区", "SH", 31.4053, 121.4895, 223.5), ("JD", "嘉定区", "SH", 31.3747, 121.2655, 183.4),
    ("PD", "浦东新区", "SH", 31.2214, 121.5447, 568.2), ("JS", "金山区", "SH", 30.7420, 121.3419, 82.3),
    ("SJ", "松江区", "SH", 31.0322, 121.2277, 190.9), ("QP", "青浦区", "SH", 31.1496, 121.1241, 127.1),
    ("FX", "奉贤区", "SH", 30.9180, 121.4741, 114.1), ("CM", "崇明区", "SH", 31.6228, 121.3970, 63.8),
    ("NJ", "南京市", "JS", 32.0603, 118.7969, 931.5), ("SZ", "苏州市", "JS", 31.2990, 120.5853, 1274.8),
    ("WX", "无锡市", "JS", 31.4912, 120.3119, 746.2), ("HZ", "杭州市", "ZJ", 30.2741, 120.1551, 1193.6),
    ("NB", "宁波市", "ZJ", 29.8683, 121.5440, 940.4), ("HF", "合肥市", "AH", 31.8206, 117.2272, 936.9),
    ("WH", "芜湖市", "AH", 31.3525, 118.4330, 364.4),
]

SHANGHAI_POPULATION = sum(p[5] for p in PLACES if p[2] == "SH")
RED_CELLS_PER_DAY_SH = 1500.0
PLATELETS_PER_DAY_SH = 300.0
ABO_SHARE = {"O": 0.342, "A": 0.287, "B": 0.282, "AB": 0.089}
RHD_NEG_SHARE = 0.0035


def station_id(code: str, region: str) -> str:
    return f"{region}-{code}-S"


def hospital_id(code: str, region: str) -> str:
    return f"{region}-{code}-H"


def daily_demand(population: float) -> dict[tuple[str, str, str], float]:
    share = population / SHANGHAI_POPULATION
    per_component = {"red_cells": RED_CELLS_PER_DAY_SH * share, "plasma": RED_CELLS_PER_DAY_SH * share / 2,
                     "platelets": PLATELETS_PER_DAY_SH * share}
    out = {}
    for component, total in per_component.items():
        for abo, abo_share in ABO_SHARE.items():
            for rhd, rhd_share in (("pos", 1 - RHD_NEG_SHARE), ("neg", RHD_NEG_SHARE)):
                out[(component, abo, rhd)] = round(total * abo_share * rhd_share, 3)
    return out
