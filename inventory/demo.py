"""Demo catalogue, disease drug scopes, price caps and a purchase ledger for 衡阳县康民大药房
(idempotent), so a pharmacy can import purchases and complete a quarterly stocktake."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import ROUND_DOWN, Decimal
from typing import Any

from django.utils import timezone

from inventory.models import DiseaseDrug, Drug, PriceCap, StockBatch
from pharmacies.models import Pharmacy
from programmes.models import Disease, PriceCapBasis, Programme

# (code, generic name, form, spec, manufacturer, approval no., category, therapeutic,
#  diseases it is basic for / in scope of, hospital listed price)
DRUGS: list[tuple[str, str, str, str, str, str, str, bool, list[str], str]] = [
    (
        "XC08CAA010A001",
        "苯磺酸氨氯地平片",
        "片剂",
        "5mg×28片",
        "辉瑞制药有限公司",
        "国药准字H10950224",
        "drug",
        True,
        ["TM101", "TM103"],
        "28.50",
    ),
    (
        "XC09AAA010A001",
        "卡托普利片",
        "片剂",
        "25mg×100片",
        "常州制药厂有限公司",
        "国药准字H32023750",
        "drug",
        True,
        ["TM101"],
        "6.80",
    ),
    (
        "XC09CAL040A001",
        "氯沙坦钾片",
        "片剂",
        "50mg×7片",
        "杭州默沙东制药有限公司",
        "国药准字J20180010",
        "drug",
        True,
        ["TM101"],
        "21.30",
    ),
    (
        "XC09CAV010A001",
        "缬沙坦胶囊",
        "胶囊剂",
        "80mg×7粒",
        "北京诺华制药有限公司",
        "国药准字H20040217",
        "drug",
        True,
        ["TM101"],
        "18.90",
    ),
    (
        "XC07ABM040A001",
        "酒石酸美托洛尔片",
        "片剂",
        "25mg×20片",
        "阿斯利康制药有限公司",
        "国药准字H32025391",
        "drug",
        True,
        ["TM101", "TM103"],
        "5.60",
    ),
    (
        "XC03AAH010A001",
        "氢氯噻嗪片",
        "片剂",
        "25mg×100片",
        "天津力生制药股份有限公司",
        "国药准字H12020117",
        "drug",
        True,
        ["TM101"],
        "4.20",
    ),
    (
        "XC08CAN020A001",
        "硝苯地平缓释片",
        "片剂",
        "20mg×30片",
        "拜耳医药保健有限公司",
        "国药准字J20160026",
        "drug",
        True,
        ["TM101"],
        "32.00",
    ),
    (
        "XA10BAE010A001",
        "盐酸二甲双胍片",
        "片剂",
        "0.5g×20片",
        "中美上海施贵宝制药有限公司",
        "国药准字H20023370",
        "drug",
        True,
        ["TM102"],
        "9.80",
    ),
    (
        "XA10BBG010A001",
        "格列美脲片",
        "片剂",
        "2mg×15片",
        "赛诺菲（北京）制药有限公司",
        "国药准字H20057672",
        "drug",
        True,
        ["TM102"],
        "25.40",
    ),
    (
        "XA10BFA010A001",
        "阿卡波糖片",
        "片剂",
        "50mg×30片",
        "拜耳医药保健有限公司",
        "国药准字J20160044",
        "drug",
        True,
        ["TM102"],
        "39.80",
    ),
    (
        "XA10BHS010A001",
        "磷酸西格列汀片",
        "片剂",
        "100mg×7片",
        "杭州默沙东制药有限公司",
        "国药准字J20150111",
        "drug",
        True,
        ["TM102"],
        "36.20",
    ),
    (
        "XA10ABG010B001",
        "甘精胰岛素注射液",
        "注射剂",
        "3ml:300单位",
        "赛诺菲（北京）制药有限公司",
        "国药准字J20140052",
        "drug",
        True,
        ["TM102"],
        "78.00",
    ),
    (
        "XA10ABI020B001",
        "门冬胰岛素注射液",
        "注射剂",
        "3ml:300单位",
        "诺和诺德（中国）制药有限公司",
        "国药准字S20153001",
        "drug",
        True,
        ["TM102"],
        "65.50",
    ),
    (
        "XB01ACA010A001",
        "阿司匹林肠溶片",
        "片剂",
        "100mg×30片",
        "拜耳医药保健有限公司",
        "国药准字J20171021",
        "drug",
        True,
        ["TM103"],
        "15.20",
    ),
    (
        "XB01ACC040A001",
        "硫酸氢氯吡格雷片",
        "片剂",
        "75mg×7片",
        "赛诺菲（杭州）制药有限公司",
        "国药准字J20180029",
        "drug",
        True,
        ["TM103"],
        "19.90",
    ),
    (
        "XC10AAA050A001",
        "阿托伐他汀钙片",
        "片剂",
        "20mg×7片",
        "辉瑞制药有限公司",
        "国药准字H20051408",
        "drug",
        True,
        ["TM103"],
        "22.80",
    ),
    (
        "XC10AAR070A001",
        "瑞舒伐他汀钙片",
        "片剂",
        "10mg×7片",
        "阿斯利康制药有限公司",
        "国药准字J20170008",
        "drug",
        True,
        ["TM103"],
        "26.10",
    ),
    (
        "XC01DAS020A001",
        "单硝酸异山梨酯缓释片",
        "片剂",
        "40mg×20片",
        "鲁南贝特制药有限公司",
        "国药准字H19991039",
        "drug",
        True,
        ["TM103"],
        "17.60",
    ),
    (
        "XZ-A01AA-0001",
        "复方丹参滴丸",
        "滴丸剂",
        "27mg×180丸",
        "天士力医药集团股份有限公司",
        "国药准字Z10950111",
        "drug",
        True,
        ["TM103"],
        "29.90",
    ),
    (
        "XR03AKS010L001",
        "沙美特罗替卡松吸入粉雾剂",
        "吸入剂",
        "50μg/250μg×60吸",
        "葛兰素史克制药有限公司",
        "国药准字J20140164",
        "drug",
        True,
        ["TM104"],
        "168.00",
    ),
    (
        "XR03BBT010L001",
        "噻托溴铵粉雾剂",
        "吸入剂",
        "18μg×30粒",
        "正大天晴药业集团股份有限公司",
        "国药准字H20060454",
        "drug",
        True,
        ["TM104"],
        "98.50",
    ),
    (
        "XR03DAA010A001",
        "茶碱缓释片",
        "片剂",
        "0.1g×24片",
        "广州迈特兴华制药厂有限公司",
        "国药准字H10940020",
        "drug",
        True,
        ["TM104"],
        "8.90",
    ),
    (
        "XR05CBA040A001",
        "盐酸氨溴索片",
        "片剂",
        "30mg×20片",
        "勃林格殷格翰制药有限公司",
        "国药准字H20030478",
        "drug",
        True,
        ["TM104"],
        "12.30",
    ),
    (
        "XL04AXM010A001",
        "甲氨蝶呤片",
        "片剂",
        "2.5mg×16片",
        "上海上药信谊药厂有限公司",
        "国药准字H31020644",
        "drug",
        True,
        ["TM105"],
        "11.50",
    ),
    (
        "XP01BAH020A001",
        "硫酸羟氯喹片",
        "片剂",
        "0.2g×10片",
        "上海上药中西制药有限公司",
        "国药准字H19990263",
        "drug",
        True,
        ["TM105"],
        "34.60",
    ),
    (
        "XN04BAD010A001",
        "多巴丝肼片",
        "片剂",
        "0.25g×40片",
        "上海罗氏制药有限公司",
        "国药准字H10930198",
        "drug",
        True,
        ["TM106"],
        "58.00",
    ),
    (
        "XN04BCP010A001",
        "盐酸普拉克索片",
        "片剂",
        "0.25mg×30片",
        "勃林格殷格翰制药有限公司",
        "国药准字J20171074",
        "drug",
        True,
        ["TM106"],
        "95.00",
    ),
    (
        "XN05AHO010A001",
        "奥氮平片",
        "片剂",
        "10mg×7片",
        "礼来苏州制药有限公司",
        "国药准字J20171044",
        "drug",
        True,
        ["TM004"],
        "61.20",
    ),
    (
        "XJ04AMR010A001",
        "异烟肼片",
        "片剂",
        "0.1g×100片",
        "沈阳红旗制药有限公司",
        "国药准字H21022425",
        "drug",
        True,
        ["TM003"],
        "7.50",
    ),
    (
        "XL04ADT010A001",
        "他克莫司胶囊",
        "胶囊剂",
        "1mg×50粒",
        "安斯泰来制药（中国）有限公司",
        "国药准字J20180040",
        "drug",
        True,
        ["TM002"],
        "420.00",
    ),
    (
        "XB05-SF-0001",
        "肾病专用型全营养配方食品",
        "粉剂",
        "400g",
        "西安力邦医药科技有限责任公司",
        "",
        "special_food",
        False,
        ["TM006"],
        "188.00",
    ),
    (
        "XB03AAA010A001",
        "维生素C片",
        "片剂",
        "0.1g×100片",
        "华中药业股份有限公司",
        "国药准字H42020757",
        "drug",
        False,
        [],
        "3.50",
    ),
    (
        "NF-HEALTH-0001",
        "蛋白粉（保健食品）",
        "粉剂",
        "400g",
        "汤臣倍健股份有限公司",
        "",
        "health_food",
        False,
        [],
        "0",
    ),
    (
        "NF-DEVICE-0001",
        "电子血压计",
        "器械",
        "臂式",
        "欧姆龙（大连）有限公司",
        "",
        "device",
        False,
        [],
        "0",
    ),
]
# Which of the scope entries are basic drugs (基本药物) for that disease.
NOT_BASIC = {"XC09CAV010A001", "XA10BHS010A001", "XC10AAR070A001", "XN04BCP010A001"}

# The demo purchase ledger: (drug code, batch, production, expiry, quantity, price, supplier)
LEDGER: list[tuple[str, str, date, date, int, str]] = [
    ("XC08CAA010A001", "AM2503101", date(2025, 3, 10), date(2027, 3, 9), 120, "16.80"),
    ("XC09AAA010A001", "KT2502015", date(2025, 2, 1), date(2028, 1, 31), 80, "3.90"),
    ("XC09CAL040A001", "LS2504022", date(2025, 4, 22), date(2027, 4, 21), 60, "12.60"),
    ("XC07ABM040A001", "MT2411083", date(2024, 11, 8), date(2026, 12, 20), 100, "3.10"),
    ("XC03AAH010A001", "HT2406118", date(2024, 6, 11), date(2026, 11, 30), 40, "2.20"),
    ("XC08CAN020A001", "NF2505007", date(2025, 5, 7), date(2027, 5, 6), 50, "19.50"),
    ("XA10BAE010A001", "EM2503150", date(2025, 3, 15), date(2028, 3, 14), 150, "5.40"),
    ("XA10BBG010A001", "GM2502210", date(2025, 2, 21), date(2027, 2, 20), 60, "15.10"),
    ("XA10BFA010A001", "AC2504033", date(2025, 4, 3), date(2027, 4, 2), 45, "24.00"),
    ("XA10ABG010B001", "GL2505019", date(2025, 5, 19), date(2027, 5, 18), 30, "52.00"),
    ("XB01ACA010A001", "AS2503302", date(2025, 3, 30), date(2028, 3, 29), 200, "8.70"),
    ("XB01ACC040A001", "CP2504011", date(2025, 4, 11), date(2028, 4, 10), 70, "11.80"),
    ("XC10AAA050A001", "AT2502117", date(2025, 2, 17), date(2027, 2, 16), 90, "12.90"),
    ("XC01DAS020A001", "IS2501226", date(2025, 1, 26), date(2027, 1, 25), 40, "9.80"),
    ("XZ-A01AA-0001", "DS2503088", date(2025, 3, 8), date(2028, 3, 7), 60, "18.20"),
    ("XR03AKS010L001", "SF2504101", date(2025, 4, 10), date(2027, 4, 9), 20, "112.00"),
    ("XR03DAA010A001", "CJ2502008", date(2025, 2, 8), date(2027, 2, 7), 50, "4.60"),
    ("XL04AXM010A001", "MX2503017", date(2025, 3, 17), date(2028, 3, 16), 30, "6.30"),
    ("XN04BAD010A001", "MD2504056", date(2025, 4, 5), date(2028, 4, 4), 25, "38.00"),
    ("XB03AAA010A001", "VC2410221", date(2024, 10, 22), date(2026, 10, 21), 30, "1.80"),
    ("XA10ABI020B001", "ND2505102", date(2025, 5, 10), date(2027, 5, 9), 20, "44.00"),
    ("XR05CBA040A001", "AB2503019", date(2025, 3, 19), date(2028, 3, 18), 40, "7.20"),
    ("XP01BAH020A001", "HQ2504008", date(2025, 4, 8), date(2028, 4, 7), 24, "22.50"),
    ("XN05AHO010A001", "OL2502271", date(2025, 2, 27), date(2027, 2, 26), 14, "40.00"),
    ("XJ04AMR010A001", "IN2501135", date(2025, 1, 13), date(2028, 1, 12), 20, "4.10"),
    ("XL04ADT010A001", "TK2504220", date(2025, 4, 22), date(2027, 4, 21), 6, "300.00"),
]
SUPPLIER = "国药控股湖南有限公司"


def _valid_credit_code(base17: str) -> str:
    from stdnum.cn import uscc

    return base17 + uscc.calc_check_digit(base17)


def sample_purchase_rows() -> list[list[Any]]:
    """The downloadable sample purchase file: three new batches with traceability codes."""
    rows = []
    picks = [
        ("XC08CAA010A001", "AM2509155", 48, "16.60"),
        ("XA10BAE010A001", "EM2510032", 60, "5.30"),
        ("XR03BBT010L001", "TT2509210", 12, "66.00"),
    ]
    drugs = {
        d.insurance_code: d for d in Drug.objects.filter(insurance_code__in=[p[0] for p in picks])
    }
    today = timezone.localdate()
    for index, (code, batch, quantity, price) in enumerate(picks):
        drug = drugs.get(code)
        if drug is None:
            continue
        # 20 digits, as every traceability code (HY-B03)
        codes = ";".join(f"8{index}{today:%Y%m%d}{n:010d}" for n in range(1, 4))
        rows.append(
            [
                drug.insurance_code,
                drug.generic_name,
                drug.manufacturer,
                drug.dosage_form,
                drug.specification,
                batch,
                (today - timedelta(days=60)).isoformat(),
                (today + timedelta(days=700)).isoformat(),
                drug.approval_number,
                SUPPLIER,
                quantity,
                price,
                today.isoformat(),
                f"FP{today:%Y%m%d}{index:03d}",
                f"SH{today:%Y%m%d}{index:03d}",
                codes,
            ]
        )
    return rows


def seed_catalogue() -> None:
    hy = Programme.objects.get(code="HY-TM")
    diseases = {d.code: d for d in Disease.objects.filter(programme=hy)}
    for code, name, form, spec, maker, approval, category, therapeutic, scope, price in DRUGS:
        drug, _ = Drug.objects.get_or_create(
            insurance_code=code,
            defaults={
                "generic_name": name,
                "dosage_form": form,
                "specification": spec,
                "manufacturer": maker,
                "approval_number": approval,
                "category": category,
                "is_therapeutic": therapeutic,
            },
        )
        for disease_code in scope:
            DiseaseDrug.objects.get_or_create(
                disease=diseases[disease_code],
                drug=drug,
                defaults={"is_basic_drug": code not in NOT_BASIC},
            )
        if Decimal(price) > 0:
            PriceCap.objects.get_or_create(
                drug=drug,
                programme=Programme.objects.get(code="HY-TM"),
                basis=PriceCapBasis.HOSPITAL_LISTED,
                defaults={
                    "price": Decimal(price),
                    "source": "湖南省医药集中采购平台公立医院挂网价（演示）",
                    "effective_on": date(2025, 1, 1),
                },
            )


# GY-PT (贵阳市筑康大药房): platform listed prices (GY-C01) and stock — (drug code, batch,
# quantity, purchase price, platform listed price). DEMO values.
GY_STOCK: list[tuple[str, str, int, str, str]] = [
    ("XC09AAA010A001", "KT2606031", 200, "3.90", "6.80"),
    ("XC08CAA010A001", "AM2605112", 100, "16.80", "28.50"),
    ("XA10BAE010A001", "EM2606204", 150, "5.40", "9.60"),
    ("XC10AAA050A001", "AT2605018", 80, "12.90", "22.00"),
    ("XR03DAA010A001", "CJ2606077", 60, "4.60", "7.90"),
]
GY_SUPPLIER = "国药控股贵州有限公司"


def seed_gy(ctx: dict[str, Any]) -> None:
    """Platform listed prices for the GY-PT catalogue drugs and a stocked Guiyang pharmacy."""
    from inventory.models import MovementKind
    from inventory.services import stock_batch_get_or_create, stock_movement_record

    drugs = {d.insurance_code: d for d in Drug.objects.all()}
    for code, _batch, _qty, _cost, listed in GY_STOCK:
        PriceCap.objects.get_or_create(
            drug=drugs[code],
            programme=Programme.objects.get(code="GY-PT"),
            basis=PriceCapBasis.PLATFORM_LISTED,
            defaults={
                "price": Decimal(listed),
                "source": "国家医保药品集中采购平台挂网价（演示）",
                "effective_on": date(2025, 1, 1),
            },
        )
    pharmacy = ctx.get("pharmacies", {}).get("gy_pharmacy")
    if pharmacy is None or StockBatch.objects.filter(pharmacy=pharmacy).exists():
        return
    today = timezone.localdate()
    tz = timezone.get_current_timezone()
    bought = datetime.combine(today - timedelta(days=20), datetime.min.time(), tz)
    for n, (code, batch_no, qty, cost, _listed) in enumerate(GY_STOCK):
        batch = stock_batch_get_or_create(
            pharmacy=pharmacy,
            drug=drugs[code],
            batch_no=batch_no,
            production_date=today - timedelta(days=120),
            expiry_date=today + timedelta(days=730),
        )
        stock_movement_record(
            pharmacy=pharmacy,
            batch=batch,
            kind=MovementKind.PURCHASE,
            quantity=qty,
            occurred_at=bought + timedelta(hours=9, minutes=n),
            actor=ctx["users"].get("gy_manager"),
            unit_price=Decimal(cost),
            supplier=GY_SUPPLIER,
            invoice_no=f"GYFP{bought:%Y%m%d}{n:03d}",
            delivery_note_no=f"GYSH{bought:%Y%m%d}{n:03d}",
        )


def seed(ctx: dict[str, Any]) -> None:
    from inventory.models import MovementKind
    from inventory.services import (
        stock_batch_get_or_create,
        stock_movement_record,
        stock_sale_book,
        stocktakes_open_for_period,
    )

    seed_catalogue()
    seed_gy(ctx)
    org = ctx["organisations"]["hy_pharmacy"]
    pharmacy, _ = Pharmacy.objects.get_or_create(
        organisation=org,
        defaults={
            "credit_code": _valid_credit_code("91430421MA4L0001X"),
            "address": "衡阳县西渡镇蒸阳北路 88 号",
            "opened_on": date(2019, 5, 1),
        },
    )
    if StockBatch.objects.filter(pharmacy=pharmacy).exists():
        return
    today = timezone.localdate()
    from core.calendar import quarter_bounds

    this_quarter, _end = quarter_bounds(today)
    last_start, _ = quarter_bounds(this_quarter - timedelta(days=1))
    tz = timezone.get_current_timezone()
    manager = ctx["users"].get("hy_manager")
    drugs = {d.insurance_code: d for d in Drug.objects.all()}
    hy = Programme.objects.get(code="HY-TM")
    # HY-B02: sell at or below the listed price less the programme's discount.
    discount = (Decimal(100) - hy.price_discount_pct) / 100
    for n, (code, batch_no, produced, expires, qty, price) in enumerate(LEDGER):
        drug = drugs[code]
        batch = stock_batch_get_or_create(
            pharmacy=pharmacy,
            drug=drug,
            batch_no=batch_no,
            production_date=produced,
            expiry_date=expires,
        )
        bought = datetime.combine(last_start + timedelta(days=3 + n), datetime.min.time(), tz)
        stock_movement_record(
            pharmacy=pharmacy,
            batch=batch,
            kind=MovementKind.PURCHASE,
            quantity=qty,
            occurred_at=bought,
            actor=manager,
            unit_price=Decimal(price),
            supplier=SUPPLIER,
            invoice_no=f"FP{bought:%Y%m%d}{n:03d}",
            delivery_note_no=f"SH{bought:%Y%m%d}{n:03d}",
            traceability_codes=[f"81{bought:%Y%m%d}{n:05d}{i:05d}" for i in range(1, 4)],
        )
        cap = drug.price_caps.filter(basis=hy.price_cap_basis).first()
        stock_sale_book(
            pharmacy=pharmacy,
            drug=drug,
            batch=batch,
            quantity=max(qty // 5, 1),
            unit_price=(cap.price * discount).quantize(Decimal("0.01"), ROUND_DOWN)
            if cap
            else Decimal(price),
            traceability_codes=[],
            sold_at=bought + timedelta(days=20, hours=10),
            actor=manager,
        )
    stocktakes_open_for_period(programme=hy, pharmacies=[pharmacy], today=today)
