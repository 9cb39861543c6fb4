"""Our carrier names (and ShipStation/Extensiv carrier codes) to the exact names on Shopify's list of
supported tracking companies. Shopify only builds a tracking link when the name matches exactly."""

from __future__ import annotations

import re

# Shopify's spelling -> the spellings we meet (lower case, runs of non-alphanumerics as "_").
_ALIASES: dict[str, tuple[str, ...]] = {
    "UPS": ("ups", "ups_walleted", "united_parcel_service", "ups_ground", "ups_mail_innovations"),
    "USPS": (
        "usps",
        "stamps_com",
        "endicia",
        "us_postal_service",
        "united_states_postal_service",
        "usps_ground_advantage",
    ),
    "FedEx": ("fedex", "fedex_ground", "fedex_express", "federal_express", "fedex_walleted"),
    "DHL Express": ("dhl_express", "dhl", "dhl_express_worldwide", "dhl_express_us", "dhl_express_walleted"),
    "DHL eCommerce": ("dhl_ecommerce", "dhl_global_mail", "dhl_ecommerce_us"),
    "OnTrac": ("ontrac", "on_trac"),
    "Canada Post": ("canada_post", "canadapost"),
    "Purolator": ("purolator", "purolator_ca"),
    "Canpar": ("canpar",),
    "Royal Mail": ("royal_mail", "royalmail"),
    "Evri": ("evri", "hermes", "hermes_uk"),
    "DPD": ("dpd",),
    "DPD UK": ("dpd_uk",),
    "GLS": ("gls", "gls_us"),
    "Australia Post": ("australia_post", "auspost"),
    "StarTrack": ("startrack", "star_track"),
    "New Zealand Post": ("new_zealand_post", "nz_post"),
    "Lasership": ("lasership",),
    "Amazon Logistics US": ("amazon_logistics_us", "amazon_shipping", "amazon_shipping_us", "amazon"),
    "Asendia USA": ("asendia", "asendia_usa"),
    "PostNL": ("postnl",),
    "La Poste": ("la_poste",),
    "Colissimo": ("colissimo",),
    "Deutsche Post": ("deutsche_post",),
    "Swiss Post": ("swiss_post",),
    "TNT": ("tnt",),
    "Sendle": ("sendle",),
    "SF Express": ("sf_express",),
    "China Post": ("china_post",),
    "Japan Post (EN)": ("japan_post",),
    "Yamato (EN)": ("yamato",),
    "Correos": ("correos",),
    "Chronopost": ("chronopost",),
    "TForce Final Mile": ("tforce", "tforce_final_mile"),
}


def _key(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", name.strip().lower()).strip("_")


_LOOKUP: dict[str, str] = {
    _key(alias): company for company, aliases in _ALIASES.items() for alias in (*aliases, company)
}


def shopify_carrier_company(carrier: str | None) -> str | None:
    """Shopify's exact company name for `carrier`; unknown names pass through trimmed (Shopify shows
    them as given, so the caller should also send a tracking URL); None or blank stays None."""
    if carrier is None or not carrier.strip():
        return None
    return _LOOKUP.get(_key(carrier), carrier.strip())


def is_known_shopify_carrier(carrier: str | None) -> bool:
    return carrier is not None and _key(carrier) in _LOOKUP
