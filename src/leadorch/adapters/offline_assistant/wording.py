"""How replies are worded, in the customer's language: prices, durations, times, and the fixed phrases.

Every fact worded here comes from a tool result (or the shop's own details in the system prompt)
passed in; nothing is looked up or invented. The fixed phrases are one table per language (`PHRASES`,
English and Spanish, the same keys in both: a test checks it), filled in with `say(language, key, …)`.
A question the assistant asks is worded as a question, never as a failure: nothing here tells a
customer that "something went wrong" when they did nothing wrong.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from leadorch.adapters.offline_assistant.language import ENGLISH, SPANISH


def dollars(cents: Any) -> str:
    cents = int(cents)
    return f"${cents // 100:,}" if cents % 100 == 0 else f"${cents / 100:,.2f}"


def duration(minutes: Any, language: str = ENGLISH) -> str:
    minutes = int(minutes)
    hours, rest = divmod(minutes, 60)
    hour_word, minute_word = ("hora", "minutos") if language == SPANISH else ("hour", "minutes")
    if not hours:
        return f"{minutes} {minute_word}"
    hours_text = f"{hours} {hour_word}" + ("s" if hours > 1 else "")
    return hours_text if not rest else f"{hours_text} {rest} {minute_word}"


_ES_DAYS = ("lun", "mar", "mié", "jue", "vie", "sáb", "dom")
_ES_MONTHS = ("ene", "feb", "mar", "abr", "may", "jun", "jul", "ago", "sep", "oct", "nov", "dic")
_ZONE = re.compile(r"(?<=AM|PM)\s([A-Z]{2,5}|[+-]\d{2,4})$")
"""The zone abbreviation after a label's AM/PM ('… 9:00 AM PST')."""


def label(start: str, language: str = ENGLISH, zone: str = "") -> str:
    """'Fri Nov 27, 10:00 AM' (or 'vie 27 nov, 10:00 AM') in the slot's own (shop) time."""
    try:
        moment = datetime.fromisoformat(start.replace("Z", "+00:00"))
    except ValueError:
        return start
    hour = moment.hour % 12 or 12
    clock = f"{hour}:{moment:%M} {'AM' if moment.hour < 12 else 'PM'}"
    if language == SPANISH:
        text = f"{_ES_DAYS[moment.weekday()]} {moment.day} {_ES_MONTHS[moment.month - 1]}, {clock}"
    else:
        text = f"{moment:%a %b} {moment.day}, {clock}"
    return f"{text} {zone}" if zone else text


def slot_label(slot: dict[str, Any], language: str = ENGLISH) -> str:
    """The tool's label ('Sat Nov 28, 10:00 AM PST': the shop's zone named, for a customer who may be
    elsewhere), or in Spanish the same time and zone in Spanish words."""
    given = str(slot.get("label") or "")
    if language == ENGLISH and given:
        return given
    zone = _ZONE.search(given)
    return label(str(slot.get("start", "")), language, zone.group(1) if zone else "") or given


def zone_of(slot: dict[str, Any]) -> str:
    """The zone abbreviation a tool's slot label ends with ('PST'), or ''."""
    found = _ZONE.search(str(slot.get("label") or ""))
    return found.group(1) if found else ""


def appointment_words(appointment: dict[str, Any], language: str = ENGLISH) -> str:
    when = (
        slot_label(appointment, language) if appointment.get("start") else str(appointment.get("label", ""))
    )
    services = [s.get("name", "") if isinstance(s, dict) else str(s) for s in appointment.get("services", [])]
    details = ", ".join(s for s in services if s)
    if "price_cents" in appointment:
        price = dollars(appointment["price_cents"])
        details = f"{details}, {price}" if details else price
    return f"{when} ({details})" if details else str(when)


def choices(names: list[str]) -> str:
    """'Ultimate, Supreme or Premium'."""
    if len(names) <= 1:
        return "".join(names)
    return f"{', '.join(names[:-1])} or {names[-1]}"


PHRASES: dict[str, dict[str, str]] = {
    ENGLISH: {
        "help": 'I can tell you our prices and find you an appointment time. Try "how much is it?" or '
        '"what times do you have Friday?" - or say "talk to someone" to reach the shop.',
        "greeting": "Hi{name}! I can tell you our prices and find you a time. What would you like to know?",
        "out_of_bounds": "I can't change prices or special terms here: our prices are the shop's listed "
        "prices. I'm happy to show you the prices or find you a time, or say \"talk to someone\" and I'll "
        "ask the team.",
        "haggle": "{prices} That's the shop's listed price, and I can't change it here. I can find you a "
        'time, or say "talk to someone" and I\'ll ask the team.',
        "price_one": "The {name} is {price}.{description}{about}",
        "about": " It takes about {duration}.",
        "price_list": "Here are our prices:\n{lines}",
        "price_line": "- {name}: {price}",
        "durations": "How long each takes:\n{lines}",
        "duration_line": "- {name}: about {duration}",
        "duration_one": "The {name} takes about {duration}.",
        "find_a_time": "Would you like me to find a time for it?",
        "find_a_time_any": "Would you like me to find a time?",
        "no_prices": "I don't have the prices in front of me right now. Would you like me to ask the team?",
        "openings": "Here are the openings I have{service}:\n{lines}",
        "pick": "Which one would you like? Tap a time or tell me, and I'll book it.",
        "pick_move": "Which one should I move your appointment to?",
        "for_service": " for the {name}",
        "none_open": "I don't see any openings for that{note}. Would you like me to check another day?",
        "exact_free": "Yes - {label} is open{service}. Would you like me to book it? Reply yes and it's yours.",
        "exact_free_move": "Yes - {label} is open. Should I move your appointment there? Reply yes to move it.",
        "exact_days": "{time} is open on these days{service}:\n{lines}\nWhich day would you like?",
        "exact_taken": "{time} isn't open{reason}, but I have:\n{lines}",
        "not_asked": "{label} is open. Would you like me to book it? Reply yes and it's yours.",
        "privacy": "I can't share other customers' bookings, but here's what I can tell you: ",
        "booked": "You're booked for {appointment}. See you then!",
        "moved": "Done - your appointment is now {appointment}.",
        "cancel_question": "Do you want me to cancel your appointment on {appointment}? Reply yes to cancel.",
        "cancelled": "Your appointment is cancelled. If you'd like to pick a new time, just ask.",
        "kept": "No problem - your appointment stays as it is.",
        "nothing_to_cancel": "You don't have an appointment booked with us right now. Would you like me to "
        "find you a time?",
        "handed_off": "Thanks - I've passed this to the team, and someone will get back to you shortly.{call}",
        "call_us": " You can also call us at {phone}.",
        "not_offered": "We don't offer {thing} at {shop} - we're a window-tint shop.{call} I'm happy to "
        "help with tint prices or a time.",
        "not_offered_call": " For that, please call us at {phone}.",
        "which_service": "Which package is it for: {options}?",
        "phone_only": "The {name} is booked by phone: please call us at {phone} and we'll set it up.",
        "phone_only_plain": "The {name} is booked by phone: please call the shop and we'll set it up.",
        "horizon": "I can book up to {days} days ahead (until {last}). Which day before then works for you?",
        "past": "That day has already gone by. Which day would you like instead?",
        "taken": "That time was just taken{reason}. The nearest open times are:\n{lines}\nWhich one would you "
        "like?",
        "no_range": "I don't see a day in that range. Which day would you like?",
        "calendar_down": "I can't see the shop's calendar right now, so I can't offer or book a time. "
        "I've asked the team to call you back{call}.",
        "calendar_call": ", or you can call us at {phone}",
        "book_refused": "I can't book that time ({reason}). Would you like me to look for another?",
        "cancel_refused": 'I can\'t cancel that here ({reason}). Say "talk to someone" and the shop will help.',
        "tool_refused": "I can't do that here ({reason}). Could you tell me a bit more, or say \"talk to "
        "someone\" and I'll ask the team?",
        "thanks_booked": "You're welcome! You're all set for {appointment}. If anything changes, just "
        "message here.",
        "thanks": "You're welcome! If you'd like a price or a time, just ask.",
        "call_phone": "please call the shop",
        "address": "We're at {address}.{hours}",
        "hours_line": " Our opening hours: {hours}.",
        "hours": "Our opening hours: {hours}.",
    },
    SPANISH: {
        "help": 'Puedo darle nuestros precios y buscarle una cita. Pruebe "¿cuánto cuesta?" o "¿qué horarios '
        'tienen el viernes?", o diga "hablar con alguien" para contactar al taller.',
        "greeting": "¡Hola{name}! Puedo darle nuestros precios y buscarle una cita. ¿Qué le gustaría saber?",
        "out_of_bounds": "No puedo cambiar precios ni condiciones aquí: nuestros precios son los de la "
        'lista del taller. Con gusto le muestro los precios o le busco una cita, o diga "hablar con '
        'alguien" y se lo paso al equipo.',
        "haggle": "{prices} Es el precio de lista del taller y no puedo cambiarlo aquí. Puedo buscarle una "
        'cita, o diga "hablar con alguien" y se lo paso al equipo.',
        "price_one": "El {name} cuesta {price}.{description}{about}",
        "about": " Tarda unas {duration}.",
        "price_list": "Estos son nuestros precios:\n{lines}",
        "price_line": "- {name}: {price}",
        "durations": "Lo que tarda cada uno:\n{lines}",
        "duration_line": "- {name}: unas {duration}",
        "duration_one": "El {name} tarda unas {duration}.",
        "find_a_time": "¿Quiere que le busque una cita?",
        "find_a_time_any": "¿Quiere que le busque una cita?",
        "no_prices": "Ahora mismo no tengo los precios a mano. ¿Quiere que se lo pregunte al equipo?",
        "openings": "Estos son los horarios disponibles{service}:\n{lines}",
        "pick": "¿Cuál prefiere? Toque un horario o dígamelo y lo reservo.",
        "pick_move": "¿A cuál quiere que cambie su cita?",
        "for_service": " para el {name}",
        "none_open": "No veo horarios disponibles para eso{note}. ¿Quiere que busque otro día?",
        "exact_free": "Sí, {label} está libre{service}. ¿Quiere que se lo reserve? Responda sí y es suyo.",
        "exact_free_move": "Sí, {label} está libre. ¿Quiere que cambie su cita a esa hora? Responda sí.",
        "exact_days": "{time} está libre estos días{service}:\n{lines}\n¿Qué día prefiere?",
        "exact_taken": "{time} no está libre{reason}, pero tengo:\n{lines}",
        "not_asked": "{label} está libre. ¿Quiere que se lo reserve? Responda sí y es suyo.",
        "privacy": "No puedo compartir las citas de otros clientes, pero esto sí le puedo decir: ",
        "booked": "Listo, su cita es el {appointment}. ¡Lo esperamos!",
        "moved": "Listo, su cita ahora es el {appointment}.",
        "cancel_question": "¿Quiere que cancele su cita del {appointment}? Responda sí para cancelar.",
        "cancelled": "Su cita está cancelada. Si quiere elegir otro horario, solo dígamelo.",
        "kept": "De acuerdo, su cita se queda como está.",
        "nothing_to_cancel": "Ahora mismo no tiene una cita con nosotros. ¿Quiere que le busque una?",
        "handed_off": "Gracias, ya se lo pasé al equipo y alguien le responderá pronto.{call}",
        "call_us": " También puede llamarnos al {phone}.",
        "not_offered": "No ofrecemos {thing} en {shop}: somos un taller de polarizado de ventanas.{call} Con "
        "gusto le ayudo con precios o una cita de polarizado.",
        "not_offered_call": " Para eso, llámenos al {phone}.",
        "which_service": "¿Para qué paquete es: {options}?",
        "phone_only": "El {name} se agenda por teléfono: llámenos al {phone} y se lo preparamos.",
        "phone_only_plain": "El {name} se agenda por teléfono: llame al taller y se lo preparamos.",
        "horizon": "Puedo reservar hasta {days} días antes (hasta el {last}). ¿Qué día antes de esa fecha le "
        "queda bien?",
        "past": "Ese día ya pasó. ¿Qué otro día prefiere?",
        "taken": "Esa hora se acaba de ocupar{reason}. Los horarios libres más cercanos son:\n{lines}\n¿Cuál "
        "prefiere?",
        "no_range": "No veo ningún día en ese rango. ¿Qué día prefiere?",
        "calendar_down": "Ahora mismo no puedo ver el calendario del taller, así que no puedo ofrecer ni "
        "reservar un horario. Le pedí al equipo que le llame{call}.",
        "calendar_call": ", o puede llamarnos al {phone}",
        "book_refused": "No puedo reservar esa hora ({reason}). ¿Quiere que busque otra?",
        "cancel_refused": 'No puedo cancelarla aquí ({reason}). Diga "hablar con alguien" y el taller le ayuda.',
        "tool_refused": 'No puedo hacer eso aquí ({reason}). ¿Me cuenta un poco más, o diga "hablar con '
        'alguien" y se lo paso al equipo?',
        "thanks_booked": "¡De nada! Su cita es el {appointment}. Si algo cambia, escríbanos aquí.",
        "thanks": "¡De nada! Si quiere un precio o una cita, solo pregunte.",
        "call_phone": "llame al taller",
        "address": "Estamos en {address}.{hours}",
        "hours_line": " Nuestro horario: {hours}.",
        "hours": "Nuestro horario: {hours}.",
    },
}


def say(language: str, key: str, **fields: Any) -> str:
    """The phrase `key` in `language` (English when the language has none), filled in with `fields`."""
    phrases = PHRASES.get(language, PHRASES[ENGLISH])
    return phrases.get(key, PHRASES[ENGLISH][key]).format(**fields)


def choices_in(language: str, names: list[str]) -> str:
    """'Ultimate, Supreme or Premium' / 'Ultimate, Supreme o Premium'."""
    joined = choices(names)
    return joined.replace(" or ", " o ") if language == SPANISH else joined


ASKED: dict[str, tuple[str, ...]] = {
    "cancel": (PHRASES[ENGLISH]["cancel_question"].split("{")[0], PHRASES[SPANISH]["cancel_question"].split("{")[0]),
    "service": (PHRASES[ENGLISH]["which_service"].split("{")[0], PHRASES[SPANISH]["which_service"].split("{")[0]),
    "book": ("Would you like me to book it?", "¿Quiere que se lo reserve?"),
    "move": ("Should I move your appointment there?", "¿Quiere que cambie su cita a esa hora?"),
    "find": ("find a time", "busque una cita"),
}  # fmt: skip
"""What a question the assistant asked starts or contains, so the customer's "yes" answers it."""


def asked(last_reply: str) -> str | None:
    """Which of the assistant's questions `last_reply` asked ("cancel", "service", "book", "move",
    "find"), if any."""
    for kind, marks in ASKED.items():
        if any(mark in last_reply for mark in marks):
            return kind
    return None


HELP = PHRASES[ENGLISH]["help"]
OUT_OF_BOUNDS_REPLY = PHRASES[ENGLISH]["out_of_bounds"]
