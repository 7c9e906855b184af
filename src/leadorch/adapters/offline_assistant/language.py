"""Which language the customer writes in, and their Spanish read as the words the assistant acts on.

A customer is answered in their language: English unless their message has common Spanish words
("hola", "cuánto", "cuesta", "mañana", "sábado", "cita", "precio", "gracias", "por favor"…). A message
with no telling words ("ok", "2", "10am") keeps the language the customer wrote in before.

Spanish is read by rewriting its date, time and request phrases into the English words the rest of
the assistant reads ("el sábado por la mañana" → "saturday morning", "a las 3" → "at 3", "mañana" →
"tomorrow", "cuánto cuesta" → "how much"): one table, so what the assistant understands stays the same
in both languages. The replies themselves are worded per language in `wording.py`.
"""

from __future__ import annotations

import re
import unicodedata

ENGLISH = "en"
SPANISH = "es"

_SPANISH_WORDS = frozenset(
    {
        "hola", "buenas", "buenos", "cuanto", "cuanta", "cuesta", "cuestan", "precio", "precios", "manana",
        "sabado", "domingo", "lunes", "martes", "miercoles", "jueves", "viernes", "cita", "gracias",
        "favor", "quiero", "quisiera", "necesito", "tienen", "tiene", "hay", "puedo", "puede", "pueden",
        "disponible", "disponibles", "horario", "horarios", "semana", "hoy", "tarde", "noche", "para",
        "esta", "este", "ventanas", "polarizado", "polarizar", "entintado", "carro", "coche", "cuando",
        "donde", "como", "que", "mas", "tambien", "reservar", "agendar", "cancelar", "cambiar", "hablar",
        "persona", "llamar", "llamen", "llameme", "dias", "paquete", "tarda", "dura", "vale",
        "perfecto", "claro", "bueno", "usted", "ustedes", "por", "las", "los", "del", "una", "uno", "con",
        "si", "pero", "mi", "el",
    }
)  # fmt: skip
"""Words that are Spanish (written without accents); the first block tells on its own."""
_TELLING = frozenset(
    {
        "hola", "buenas", "buenos", "cuanto", "cuesta", "cuestan", "precio", "precios", "manana",
        "sabado", "miercoles", "jueves", "viernes", "cita", "gracias", "quiero", "quisiera", "necesito",
        "tienen", "disponible", "disponibles", "horario", "horarios", "semana", "hoy", "polarizado",
        "polarizar", "reservar", "agendar", "cancelar", "cambiar", "hablar", "llamen", "llameme",
        "paquete", "tarda", "perfecto", "ustedes", "tambien", "pueden", "puedo",
    }
)  # fmt: skip


_EITHER = frozenset({"ok", "okay", "k", "no", "a", "i", "am", "pm", "hi", "st", "nd", "rd", "th"})
"""Words that tell neither language."""


def plain(text: str) -> str:
    """`text` in lower case without accents ("Sábado" → "sabado"), ñ kept as n."""
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def language_of(text: str) -> str | None:
    """SPANISH or ENGLISH when the message tells, None when it does not ("ok", "2", "10am")."""
    words = re.findall(r"[a-z]+", plain(text))
    if not words:
        return None
    spanish = [w for w in words if w in _SPANISH_WORDS]
    if any(w in _TELLING for w in spanish) or "¿" in text or "¡" in text:
        return SPANISH
    if len(spanish) >= 2 and len(spanish) * 2 >= len(words):
        return SPANISH
    if spanish or all(w in _EITHER for w in words):
        return None
    return ENGLISH


_SPANISH_PHRASES: tuple[tuple[str, str], ...] = (
    (r"\bpasado\s+manana\b", "day after tomorrow"),
    (r"\b(?:por|en|de)\s+la\s+manana\b", "morning"),
    (r"\b(?:por|en|de)\s+la\s+tarde\b", "afternoon"),
    (r"\b(?:por|en|de)\s+la\s+noche\b", "evening"),
    (r"\bmanana\b", "tomorrow"),
    (r"\bhoy\b", "today"),
    (r"\besta\s+noche\b", "tonight"),
    (r"\b(?:este|el)\s+fin\s+de\s+semana\b", "this weekend"),
    (r"\bfin\s+de\s+semana\b", "weekend"),
    (r"\b(?:la\s+)?(?:proxima|siguiente)\s+semana\b|\bla\s+semana\s+que\s+viene\b", "next week"),
    (r"\besta\s+semana\b", "this week"),
    (r"\b(?:el\s+)?(?:proximo|siguiente)\s+", "next "),
    (r"\bantes\s+de(?:l|\s+el)?\s+(?=lunes|martes|miercoles|jueves|viernes|sabado|domingo)", "before "),
    (r"\bdespues\s+de(?:l|\s+el)?\s+(?=lunes|martes|miercoles|jueves|viernes|sabado|domingo)", "after "),
    (r"\bantes\s+de\s+las\s+", "before "),
    (r"\bdespues\s+de\s+las\s+", "after "),
    (r"\bantes\s+del\s+mediodia\b", "before noon"),
    (r"\bmediodia\b", "noon"),
    (r"\ba\s+las\s+(\d{1,2})(?:\s*y\s+media)\b", r"at \1:30"),
    (r"\ba\s+la(?:s)?\s+(?=\d)", "at "),
    (r"\blunes\b", "monday"),
    (r"\bmartes\b", "tuesday"),
    (r"\bmiercoles\b", "wednesday"),
    (r"\bjueves\b", "thursday"),
    (r"\bviernes\b", "friday"),
    (r"\bsabados?\b", "saturday"),
    (r"\bdomingos?\b", "sunday"),
    (r"\b(?:cuanto|que\s+precio)\s+(?:cuesta|cuestan|vale|valen|sale|cobran|es)\b", "how much"),
    (r"\bcuanto\s+(?:tiempo|tarda|dura|se\s+tarda)\b|\bcuantas\s+horas\b", "how long"),
    (r"\bcuanto\b", "how much"),
    (r"\bprecios?\b|\bcostos?\b", "price"),
    (r"\bcitas?\b", "appointment"),
    (r"\b(?:donde\s+(?:estan|queda|quedan)|direccion|ubicacion)\b", "where are you"),
    (r"\bhorario\s+de\s+atencion\b|\ba\s+que\s+hora\s+(?:abren|cierran)\b", "opening hours"),
    (r"\b(?:horarios?|disponibilidad|espacios?|lugares?|huecos?)\b", "times"),
    (r"\bdisponibles?\b|\blibres?\b", "available"),
    (r"\b(?:tienen|hay|tiene)\s+(?:algo|algun|alguna|lugar|espacio)\b", "anything available"),
    (r"\b(?:reservar|reservame|reserveme|reserva|agendar|agendame|agenda|apartar|apartame)\b", "book"),
    (r"\bcancel(?:ar|a|en|e)(?:la|lo)?\b", "cancel"),
    (r"\b(?:cambiar|mover|cambiarla|moverla|reprogramar)\b", "reschedule"),
    (
        r"\b(?:hablar|habla)\s+con\s+(?:alguien|una\s+persona|un\s+humano|el\s+encargado|el\s+gerente)\b"
        r"|\bpersona\s+real\b",
        "talk to someone",
    ),
    (r"\b(?:llamenme|llameme|llamame|me\s+pueden\s+llamar|me\s+llaman)\b", "call me"),
    (r"\bmuchas\s+gracias\b|\bgracias\b", "thanks"),
    (r"\bpor\s+favor\b", "please"),
    (r"^\s*si\b", "yes"),
    (r"\b(?:el\s+)?primero\b|\bla\s+primera\b", "the first one"),
    (r"\b(?:el\s+)?segundo\b|\bla\s+segunda\b", "the second one"),
    (r"\b(?:el\s+)?tercero\b|\bla\s+tercera\b", "the third one"),
    (r"\bpaquetes?\b", "package"),
    (r"\bdescuento\b|\brebaja\b|\bmas\s+barato\b", "discount"),
)
_COMPILED = tuple((re.compile(pattern), words) for pattern, words in _SPANISH_PHRASES)


def as_english(text: str) -> str:
    """A Spanish message's request and time phrases as the English words the assistant reads."""
    said = plain(text).replace("¿", " ").replace("¡", " ")
    for pattern, words in _COMPILED:
        said = pattern.sub(words, said)
    return said
