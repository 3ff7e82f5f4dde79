"""US Foreign Service posts by the name a telegram's serial line gives them.

A telegram's serial line (``C O N F I D E N T I A L SECTION 01 OF 02 HARARE 005461``) names
the post that sent it by its telegraphic name, the name reference ids are made of
(``00HARARE5461``). What kind of post that is (an embassy, a consulate, a mission) the line does
not say; this list of posts does, so that a telegram without its ``FM`` line still names its
sender as WikiLeaks names it ("Embassy Harare"). A name that is not here, or that more than one
post sends under (``BRUSSELS``: the Embassy and USEU), or whose post changed kind over the years
(``ALMATY``, ``PRISTINA``), gives no origin: the list never guesses.
"""

from __future__ import annotations

import re

EMBASSIES = """
ABIDJAN, ABU DHABI, ABUJA, ACCRA, ADDIS ABABA, ALGIERS, AMMAN, ANKARA, ANTANANARIVO, ASHGABAT,
ASMARA, ASTANA, ASUNCION, ATHENS, BAGHDAD, BAKU, BAMAKO, BANDAR SERI BEGAWAN, BANGKOK, BANGUI,
BANJUL, BEIJING, BEIRUT, BELGRADE, BELMOPAN, BERLIN, BERN, BISHKEK, BOGOTA, BRASILIA,
BRATISLAVA, BRAZZAVILLE, BRIDGETOWN, BUCHAREST, BUDAPEST, BUENOS AIRES, BUJUMBURA, CAIRO,
CANBERRA, CARACAS, CHISINAU, COLOMBO, CONAKRY, COPENHAGEN, COTONOU, DAKAR, DAMASCUS,
DAR ES SALAAM, DHAKA, DILI, DJIBOUTI, DOHA, DUBLIN, DUSHANBE, FREETOWN, GABORONE, GEORGETOWN,
GUATEMALA, HANOI, HARARE, HELSINKI, ISLAMABAD, JAKARTA, KABUL, KAMPALA, KATHMANDU, KHARTOUM,
KIGALI, KINGSTON, KINSHASA, KOLONIA, KOROR, KUALA LUMPUR, KUWAIT, KYIV, LA PAZ, LIBREVILLE,
LILONGWE, LIMA, LISBON, LJUBLJANA, LOME, LONDON, LUANDA, LUSAKA, LUXEMBOURG, MADRID, MAJURO,
MALABO, MANAGUA, MANAMA, MANILA, MAPUTO, MASERU, MBABANE, MEXICO, MINSK, MONROVIA, MONTEVIDEO,
MOSCOW, MUSCAT, NAIROBI, NASSAU, NDJAMENA, NEW DELHI, NIAMEY, NICOSIA, NOUAKCHOTT, OSLO, OTTAWA,
OUAGADOUGOU, PANAMA, PARAMARIBO, PARIS, PHNOM PENH, PODGORICA, PORT AU PRINCE, PORT LOUIS,
PORT MORESBY, PORT OF SPAIN, PRAGUE, PRAIA, PRETORIA, QUITO, RABAT, RANGOON, REYKJAVIK, RIGA,
RIYADH, ROME, SANAA, SAN JOSE, SAN SALVADOR, SANTIAGO, SANTO DOMINGO, SARAJEVO, SEOUL,
SINGAPORE, SKOPJE, SOFIA, STOCKHOLM, SUVA, TALLINN, TASHKENT, TBILISI, TEGUCIGALPA, TEHRAN,
TEL AVIV, THE HAGUE, TIRANA, TOKYO, TRIPOLI, TUNIS, ULAANBAATAR, VALLETTA, VATICAN, VIENNA,
VIENTIANE, VILNIUS, WARSAW, WELLINGTON, WINDHOEK, YAOUNDE, YEREVAN, ZAGREB
"""

CONSULATES = """
ADANA, AMSTERDAM, AUCKLAND, BARCELONA, BELFAST, CALGARY, CAPE TOWN, CASABLANCA, CHENGDU,
CHENNAI, CHIANG MAI, CIUDAD JUAREZ, CURACAO, DHAHRAN, DUBAI, DURBAN, DUSSELDORF, EDINBURGH,
FLORENCE, FRANKFURT, FUKUOKA, GUADALAJARA, GUANGZHOU, GUAYAQUIL, HALIFAX, HAMBURG, HAMILTON,
HERMOSILLO, HO CHI MINH CITY, HONG KONG, HYDERABAD, ISTANBUL, JEDDAH, JERUSALEM, JOHANNESBURG,
KARACHI, KOLKATA, KRAKOW, LAGOS, LAHORE, LEIPZIG, LYON, MARSEILLE, MATAMOROS, MELBOURNE,
MERIDA, MILAN, MONTERREY, MONTREAL, MUMBAI, MUNICH, NAGOYA, NAHA, NAPLES, NOGALES,
NUEVO LAREDO, OSAKA KOBE, PERTH, PESHAWAR, PONTA DELGADA, QUEBEC, RECIFE, RIO DE JANEIRO,
SAO PAULO, SAPPORO, SHANGHAI, SHENYANG, ST PETERSBURG, STRASBOURG, SURABAYA, SYDNEY,
THESSALONIKI, TIJUANA, TORONTO, VANCOUVER, VLADIVOSTOK, YEKATERINBURG
"""

# Posts whose name is not "Embassy <place>" or "Consulate <place>", and places a serial line
# spells otherwise than the post's name.
OTHER_POSTS = {
    "STATE": "Secretary of State",
    "USUN NEW YORK": "USUN New York",
    "GENEVA": "US Mission Geneva",
    "USNATO": "Mission USNATO",
    "USOSCE": "Mission USOSCE",
    "USEU BRUSSELS": "USEU Brussels",
    "UNVIE VIENNA": "UNVIE",
    "UNVIE": "UNVIE",
    "RPO DUBAI": "Iran RPO Dubai",
    "IRAN RPO DUBAI": "Iran RPO Dubai",
    "TAIPEI": "American Institute Taiwan, Taipei",
    "AIT TAIPEI": "American Institute Taiwan, Taipei",
    "HAVANA": "US Interests Section Havana",
    "PARTO": "US Delegation, Secretary",
    "KIEV": "Embassy Kyiv",
    "CALCUTTA": "Consulate Kolkata",
    "BOMBAY": "Consulate Mumbai",
    "MADRAS": "Consulate Chennai",
    "BASRAH": "REO Basrah",
    "KIRKUK": "REO Kirkuk",
    "HILLAH": "REO Hillah",
    "MOSUL": "REO Mosul",
}


def _key(place: str) -> str:
    return re.sub(r"[^A-Z]", "", place.upper())


def _names() -> dict[str, str]:
    names: dict[str, str] = {}
    for kind, places in (("Embassy", EMBASSIES), ("Consulate", CONSULATES)):
        for place in (p.strip() for p in places.split(",")):
            names[_key(place)] = f"{kind} {place.title()}"
    names.update({_key(place): name for place, name in OTHER_POSTS.items()})
    return names


_POSTS = _names()


def post_name(place: str) -> str | None:
    """The name of the post a serial line names ("HARARE" -> "Embassy Harare"), or None for a
    place that is not a post of this list."""
    key = _key(place)
    if key.startswith("EFTO"):  # "UNCLAS E F T O LONDON 002883": a caveat, then the post
        key = key[4:]
    return _POSTS.get(key)
