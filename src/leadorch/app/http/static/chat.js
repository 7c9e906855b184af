/*
 * The customer chat page. It opens a chat session with the token in the link (/chat/{token}), shows the
 * transcript, and sends what the customer types. Slot choices are buttons that send a booking message
 * carrying the slot's exact start, so the assistant never has to guess which time was meant. Once a
 * booking or a move is made, the buttons of the earlier offers are spent (disabled for good): a tap on an
 * old offer must not book a second time. Each reply takes the focus, so a keyboard or screen-reader user
 * lands on what the assistant just said.
 *
 * API: POST /api/chat/sessions {token} -> 201 session; POST /api/chat/sessions/{id}/messages {text} -> 200
 * {reply}; errors are {detail}.
 */
"use strict";

(function () {
  const SESSIONS_URL = "/api/chat/sessions";

  const page = {
    transcript: document.getElementById("transcript"),
    input: document.getElementById("message-input"),
    send: document.getElementById("send-button"),
    composer: document.getElementById("composer"),
    typing: document.getElementById("typing"),
    notice: document.getElementById("notice"),
    scroller: document.querySelector(".chat"),
    shopName: document.getElementById("shop-name"),
    shopPhone: document.getElementById("shop-phone"),
    shopAddress: document.getElementById("shop-address"),
  };

  const state = { sessionId: null, busy: false, closed: false, phone: "", shownAppointments: new Set() };

  class ChatError extends Error {
    constructor(status, detail) {
      super(detail || "HTTP " + status);
      this.status = status;
      this.detail = detail || "";
    }
  }

  // --- talking to the server -------------------------------------------------------------------

  async function postJson(url, body) {
    let response;
    try {
      response = await fetch(url, {
        method: "POST",
        headers: { "content-type": "application/json", accept: "application/json" },
        body: JSON.stringify(body),
      });
    } catch (networkError) {
      throw new ChatError(0, "");
    }
    let data = null;
    try {
      data = await response.json();
    } catch (notJson) {
      data = null;
    }
    if (!response.ok) {
      const detail = data && typeof data.detail === "string" ? data.detail : "";
      throw new ChatError(response.status, detail);
    }
    return data;
  }

  function tokenFromPath(pathname) {
    const match = /\/chat\/([^/?#]+)\/?$/.exec(pathname);
    if (!match) return "";
    try {
      return decodeURIComponent(match[1]);
    } catch (badEscape) {
      return match[1];
    }
  }

  // --- words ------------------------------------------------------------------------------------

  function callUs() {
    return state.phone ? " or call us at " + state.phone : " or give us a call";
  }

  function politely(error, starting) {
    if (error.status === 0) {
      return "We couldn't reach the shop. Please check your connection and try again.";
    }
    if (error.status === 401 || error.status === 403) {
      const why = error.detail ? " (" + error.detail + ")" : "";
      return "Sorry, this chat link can't be used" + why + ". Please open the newest link we sent you" + callUs() + ".";
    }
    if (error.status === 404 && !starting) {
      return "Sorry, this chat has ended. Please reload the page to start again.";
    }
    if (error.status === 429) {
      return "You're sending messages quickly. Please wait a moment and try again.";
    }
    if (error.status >= 400 && error.status < 500 && error.detail) {
      return "Sorry, that didn't go through: " + error.detail;
    }
    return "Sorry, the assistant is having trouble right now. Please try again in a moment" + callUs() + ".";
  }

  function dollars(cents) {
    const whole = cents % 100 === 0;
    return "$" + (cents / 100).toLocaleString("en-US", {
      minimumFractionDigits: whole ? 0 : 2,
      maximumFractionDigits: 2,
    });
  }

  function timeOfDay(iso) {
    const moment = new Date(iso);
    if (Number.isNaN(moment.getTime())) return "";
    return moment.toLocaleTimeString([], { hour: "numeric", minute: "2-digit" });
  }

  function whenLabel(appointment) {
    if (appointment.label) return appointment.label;
    const moment = new Date(appointment.start);
    if (Number.isNaN(moment.getTime())) return String(appointment.start || "");
    return moment.toLocaleString([], {
      weekday: "short", month: "short", day: "numeric", hour: "numeric", minute: "2-digit",
    });
  }

  // A slot button sends "Book <label> (<start>)"; the start is for the assistant, not for reading.
  function readable(text) {
    return String(text || "").replace(/\s*\(\d{4}-\d{2}-\d{2}T[^)]*\)\s*$/, "");
  }

  const STATUS_WORDS = {
    booked: "Booked",
    confirmed: "Confirmed",
    rescheduled: "Rescheduled",
    cancelled: "Cancelled",
    canceled: "Cancelled",
  };

  // --- drawing ----------------------------------------------------------------------------------

  function make(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function scrollToEnd() {
    page.scroller.scrollTop = page.scroller.scrollHeight;
  }

  function isSpent(button) {
    const group = button.closest(".slots");
    return Boolean(group && group.classList.contains("spent"));
  }

  // A booking or a move was made: every time offered before it is spent.
  function spendOffers() {
    for (const group of page.transcript.querySelectorAll(".slots:not(.spent)")) {
      group.classList.add("spent");
      group.setAttribute("aria-label", "Times offered earlier (no longer available here)");
      for (const button of group.querySelectorAll(".slot-button")) button.disabled = true;
    }
  }

  function booksOrMoves(appointment) {
    const status = String((appointment && appointment.status) || "").toLowerCase();
    return Boolean(appointment) && STATUS_WORDS[status] !== "Cancelled";
  }

  function slotButtons(slots) {
    const group = make("div", "slots");
    group.setAttribute("role", "group");
    group.setAttribute("aria-label", "Available times");
    for (const slot of slots) {
      const button = make("button", "slot-button", slot.label);
      button.type = "button";
      button.dataset.start = slot.start;
      button.setAttribute("aria-label", "Book " + slot.label);
      button.disabled = state.busy || state.closed;
      button.addEventListener("click", function () {
        sendMessage("Book " + slot.label + " (" + slot.start + ")");
      });
      group.append(button);
    }
    return group;
  }

  function appointmentCard(appointment) {
    const status = String(appointment.status || "booked").toLowerCase();
    const card = make("section", "appointment-card" + (STATUS_WORDS[status] === "Cancelled" ? " cancelled" : ""));
    card.dataset.appointmentId = appointment.id || "";
    card.setAttribute("aria-label", "Your appointment");
    card.append(make("h2", "", "Your appointment"));
    card.append(make("p", "when", whenLabel(appointment)));
    const services = (appointment.services || []).map(function (service) {
      return typeof service === "string" ? service : service && service.name;
    }).filter(Boolean);
    if (services.length) card.append(make("p", "what", services.join(", ")));
    if (typeof appointment.price_cents === "number") card.append(make("p", "price", dollars(appointment.price_cents)));
    card.append(make("p", "status", STATUS_WORDS[status] || status.charAt(0).toUpperCase() + status.slice(1)));
    if (appointment.id) state.shownAppointments.add(appointment.id);
    return card;
  }

  function showMessage(item) {
    const customer = item.role === "customer";
    const entry = make("li", "msg " + (customer ? "customer" : "assistant"));
    const text = customer ? readable(item.text) : String(item.text || "");
    if (!customer && booksOrMoves(item.appointment)) spendOffers();
    if (item.by) entry.append(make("span", "by", item.by));  // a person at the shop wrote this one
    if (text) entry.append(make("div", "bubble", text));
    if (!customer && Array.isArray(item.slots) && item.slots.length) entry.append(slotButtons(item.slots));
    if (!customer && item.appointment) entry.append(appointmentCard(item.appointment));
    const at = item.at ? timeOfDay(item.at) : "";
    if (at) {
      const stamp = make("time", "", at);
      stamp.dateTime = item.at;
      entry.append(stamp);
    }
    page.transcript.append(entry);
    scrollToEnd();
    return entry;
  }

  // The new message takes the focus (not tabbable itself), so it is read out and the keyboard starts there.
  function focusOn(entry) {
    entry.tabIndex = -1;
    entry.focus({ preventScroll: true });
    scrollToEnd();
  }

  function showWelcome(firstName) {
    const hello = firstName ? "Hi " + firstName + "! " : "Hi! ";
    page.transcript.append(make("li", "welcome", hello + "Ask me about prices, or pick a time to come in."));
  }

  function showShop(location) {
    if (!location) return;
    if (location.name) {
      page.shopName.textContent = location.name;
      document.title = "Chat with " + location.name;
    }
    if (location.address) {
      page.shopAddress.textContent = location.address;
      page.shopAddress.hidden = false;
    }
    if (location.phone) {
      state.phone = location.phone;
      page.shopPhone.href = "tel:" + location.phone.replace(/[^+\d]/g, "");
      page.shopPhone.setAttribute("aria-label", "Call " + (location.name || "the shop") + " at " + location.phone);
      page.shopPhone.hidden = false;
    }
  }

  function showNotice(text) {
    page.notice.textContent = text;
    page.notice.hidden = !text;
  }

  function setBusy(busy) {
    state.busy = busy;
    page.typing.hidden = !busy;
    for (const button of page.transcript.querySelectorAll(".slot-button")) {
      button.disabled = busy || state.closed || isSpent(button);
    }
    refreshSend();
    if (busy) scrollToEnd();
  }

  function refreshSend() {
    page.send.disabled = state.busy || state.closed || !state.sessionId || !page.input.value.trim();
  }

  function close(reason) {
    state.closed = true;
    page.input.disabled = true;
    showNotice(reason);
    setBusy(false);
  }

  function fitInput() {
    page.input.style.height = "auto";
    page.input.style.height = Math.min(page.input.scrollHeight, 128) + "px";
  }

  // --- the conversation -------------------------------------------------------------------------

  async function start() {
    const token = tokenFromPath(window.location.pathname);
    if (!token) {
      close("This chat link is incomplete. Please open the full link from our message" + callUs() + ".");
      return;
    }
    setBusy(true);
    let session;
    try {
      session = await postJson(SESSIONS_URL, { token: token });
    } catch (error) {
      close(politely(error, true));
      return;
    }
    state.sessionId = session.session_id;
    showShop(session.location);
    const transcript = Array.isArray(session.transcript) ? session.transcript : [];
    if (!transcript.length) showWelcome(session.first_name);
    for (const item of transcript) showMessage(item);
    if (session.appointment && !state.shownAppointments.has(session.appointment.id)) {
      if (booksOrMoves(session.appointment)) spendOffers();
      const entry = make("li", "msg assistant");
      entry.append(appointmentCard(session.appointment));
      page.transcript.append(entry);
    }
    page.input.disabled = false;
    setBusy(false);
    scrollToEnd();
  }

  async function sendMessage(text) {
    const words = String(text || "").trim();
    if (!words || state.busy || state.closed || !state.sessionId) return;
    showNotice("");
    const mine = showMessage({ role: "customer", text: words, at: new Date().toISOString() });
    mine.classList.add("pending");
    setBusy(true);
    const url = SESSIONS_URL + "/" + encodeURIComponent(state.sessionId) + "/messages";
    try {
      const answer = await postJson(url, { text: words });
      mine.classList.remove("pending");
      setBusy(false);
      if (answer && answer.reply) focusOn(showMessage(answer.reply));
    } catch (error) {
      mine.remove();
      if (!page.input.value.trim() && !words.startsWith("Book ")) {
        page.input.value = words; // give the words back so the customer can try again
        fitInput();
      }
      if (error.status === 401 || error.status === 403) {
        close(politely(error, false));
        return;
      }
      setBusy(false);
      showNotice(politely(error, false));
    }
  }

  page.composer.addEventListener("submit", function (event) {
    event.preventDefault();
    const text = page.input.value;
    if (!text.trim() || state.busy) return;
    page.input.value = "";
    fitInput();
    refreshSend();
    sendMessage(text);
  });

  page.input.addEventListener("keydown", function (event) {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      page.composer.requestSubmit();
    }
  });

  page.input.addEventListener("input", function () {
    fitInput();
    refreshSend();
  });

  start();
})();
