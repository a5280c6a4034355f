/*
 * app.js: the shell of a Nexus Forge app (router, pages, forms, dashboard, settings, about,
 * and the views: board, calendar, timer, study, chart, checklist).
 *
 * Loaded as a classic script after js/store.js and js/config.js and before the entity
 * modules; it starts on DOMContentLoaded, once every entity module has run.
 *
 * ENTITY MODULE CONTRACT (js/entities/<name>.js, one per entity):
 *
 *   NexusApp.registerEntity({
 *     name: "habit",            // required: the entity's identifier from the spec
 *     label: "Habit",           // required: singular, for people
 *     plural: "Habits",         // required: plural, for people
 *     fields: [                 // required: the spec's fields, in order; the first is the title
 *       { name: "title", label: "Title", kind: "text", required: true },
 *       { name: "frequency", label: "Frequency", kind: "select", options: ["Daily", "Weekly"] }
 *     ],                        // kinds: text long_text number boolean date email url select rating color reference
 *                               // a reference holds the id of one record of another entity, named by
 *                               // `entity` (taken from js/config.js when the module leaves it out)
 *                               // optional per field: placeholder, help, unit (shown after numbers)
 *     icon: "assets/icons/habits.svg",         // optional
 *     streaks: true,                           // optional: daily check-ins with a streak counter
 *     cardFields: ["frequency"],               // optional: fields shown on cards besides the title
 *     subtitle: function (values, record) {},  // optional: one line of plain text under the title
 *     badges: function (values, record) {},    // optional: array of short plain-text labels
 *     validate: function (values, record) {}   // optional: { field: "message" } for invalid input
 *   });
 *
 * `values` maps field names to values (strings, numbers, booleans; "" when empty). Hooks
 * return plain text only: the shell renders everything with textContent, never innerHTML.
 * Modules may call NexusApp.daysUntil(day) (days from today to "YYYY-MM-DD", negative in the
 * past, null if invalid), NexusApp.formatDate(day) and NexusApp.today().
 * A module must not touch storage, the network, timers or the DOM; the shell owns them. When
 * a module is missing or invalid the shell falls back to the entity as js/config.js
 * describes it, so the app keeps working.
 */
(function () {
  "use strict";

  var KINDS = ["text", "long_text", "number", "boolean", "date", "email", "url", "select", "rating", "color", "reference"];
  var SVG_NS = "http://www.w3.org/2000/svg";
  var FEATURE_NAMES = {
    dark_mode: "Light and dark themes",
    search: "Search",
    stats: "Statistics and charts",
    export_import: "Export and import (JSON)",
    streaks: "Daily streaks",
    tags: "Tags",
    favorites: "Favourites",
    sorting: "Sorting"
  };
  var ICONS = {
    plus: "M12 5v14M5 12h14",
    edit: "M4 20h4L19 9l-4-4L4 16v4zM14 6l4 4",
    trash: "M4 7h16M10 11v6M14 11v6M6 7l1 13h10l1-13M9 7V4h6v3",
    star: "M12 3l2.8 5.7 6.2.9-4.5 4.4 1 6.2L12 17.3 6.5 20.2l1-6.2L3 9.6l6.2-.9z",
    flame: "M12 3c1 4 5 5.5 5 10a5 5 0 0 1-10 0c0-2.5 1.5-4 2.5-5 .3 2 1.2 3 2.5 3.5C11 9 11.5 6 12 3z",
    check: "M5 12.5l4.5 4.5L19 7.5",
    sun: "M12 7a5 5 0 1 0 0 10 5 5 0 0 0 0-10zM12 1v3M12 20v3M1 12h3M20 12h3M4.2 4.2l2.1 2.1M17.7 17.7l2.1 2.1M4.2 19.8l2.1-2.1M17.7 6.3l2.1-2.1",
    moon: "M20 14.5A8.5 8.5 0 0 1 9.5 4 8.5 8.5 0 1 0 20 14.5z",
    search: "M11 4a7 7 0 1 0 0 14 7 7 0 0 0 0-14zM20 20l-4-4",
    close: "M6 6l12 12M18 6L6 18"
  };

  var config = window.NEXUS_CONFIG || {};
  var features = Array.isArray(config.features) ? config.features : [];
  var registered = Object.create(null);
  var problems = [];
  var store = null;
  var data = Object.create(null);
  var ui = Object.create(null);
  var shell = null;
  var started = false;
  var toastTimer = null;

  function has(feature) {
    return features.indexOf(feature) !== -1;
  }

  /* ---------- small helpers ---------- */

  function h(tag, attrs, children) {
    var el = document.createElement(tag);
    if (attrs) {
      Object.keys(attrs).forEach(function (key) {
        var value = attrs[key];
        if (value === null || value === undefined || value === false) {
          return;
        }
        if (key === "text") {
          el.textContent = String(value);
        } else if (key === "class") {
          el.className = String(value);
        } else if (key.slice(0, 2) === "on" && typeof value === "function") {
          el.addEventListener(key.slice(2), value);
        } else if (key === "checked" || key === "selected" || key === "value" || key === "hidden" || key === "disabled") {
          el[key] = value;
        } else {
          el.setAttribute(key, value === true ? "" : String(value));
        }
      });
    }
    append(el, children);
    return el;
  }

  function append(el, children) {
    if (children === null || children === undefined || children === false) {
      return;
    }
    if (Array.isArray(children)) {
      children.forEach(function (child) {
        append(el, child);
      });
    } else if (typeof children === "string" || typeof children === "number") {
      el.appendChild(document.createTextNode(String(children)));
    } else {
      el.appendChild(children);
    }
  }

  /** The theme's primary colour, from the stylesheet (the one place colours live). */
  function themePrimary() {
    var v = "";
    try {
      v = String(getComputedStyle(document.documentElement).getPropertyValue("--primary") || "").trim();
    } catch (e) { v = ""; }
    return /^#[0-9a-fA-F]{6}$/.test(v) ? v : "#6366f1";
  }

  function icon(name, extraClass) {
    var svg = document.createElementNS(SVG_NS, "svg");
    svg.setAttribute("viewBox", "0 0 24 24");
    svg.setAttribute("aria-hidden", "true");
    svg.setAttribute("focusable", "false");
    svg.setAttribute("class", "icon" + (extraClass ? " " + extraClass : ""));
    var path = document.createElementNS(SVG_NS, "path");
    path.setAttribute("d", ICONS[name] || ICONS.star);
    svg.appendChild(path);
    return svg;
  }

  /* The app's art (js/art.js, made when the app is assembled) inline, so the stylesheet
     colours it; an <img> when a file is not there. Ids inside get a suffix per copy, so
     the logo can be shown twice. `label` "" makes it decorative. */
  var artCopies = 0;
  function art(src, cls, size, label) {
    var markup = window.NEXUS_ART && Object.prototype.hasOwnProperty.call(window.NEXUS_ART, src) ? window.NEXUS_ART[src] : null;
    if (typeof markup !== "string") {
      return h("img", { class: cls, src: src, alt: label, width: size, height: size });
    }
    var holder = document.createElement("template");
    holder.innerHTML = markup;
    var svg = holder.content.querySelector("svg");
    if (!svg) {
      return h("img", { class: cls, src: src, alt: label, width: size, height: size });
    }
    artCopies += 1;
    var suffix = "-" + artCopies;
    Array.prototype.forEach.call(svg.querySelectorAll("[id]"), function (el) {
      var id = el.getAttribute("id");
      el.setAttribute("id", id + suffix);
      Array.prototype.forEach.call(svg.querySelectorAll("*"), function (other) {
        Array.prototype.forEach.call(other.attributes, function (a) {
          if (a.value.indexOf("url(#" + id + ")") !== -1) {
            other.setAttribute(a.name, a.value.split("url(#" + id + ")").join("url(#" + id + suffix + ")"));
          }
        });
      });
    });
    svg.setAttribute("class", cls + " art");
    svg.setAttribute("width", size);
    svg.setAttribute("height", size);
    svg.setAttribute("focusable", "false");
    if (label) {
      svg.setAttribute("role", "img");
      svg.setAttribute("aria-label", label);
    } else {
      svg.removeAttribute("role");
      svg.removeAttribute("aria-label");
      svg.setAttribute("aria-hidden", "true");
      var title = svg.querySelector("title");
      if (title) {
        title.parentNode.removeChild(title);
      }
    }
    return svg;
  }

  function clear(el) {
    while (el.firstChild) {
      el.removeChild(el.firstChild);
    }
  }

  function pad(n) {
    return (n < 10 ? "0" : "") + n;
  }

  function isoDay(date) {
    return date.getFullYear() + "-" + pad(date.getMonth() + 1) + "-" + pad(date.getDate());
  }

  function today() {
    return isoDay(new Date());
  }

  function parseDay(s) {
    var m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(String(s || ""));
    if (!m) {
      return null;
    }
    var d = new Date(Number(m[1]), Number(m[2]) - 1, Number(m[3]));
    return isNaN(d.getTime()) ? null : d;
  }

  function addDays(day, n) {
    var d = parseDay(day);
    if (!d) {
      return day;
    }
    d.setDate(d.getDate() + n);
    return isoDay(d);
  }

  function daysUntil(day) {
    var d = parseDay(day);
    var t = parseDay(today());
    if (!d || !t) {
      return null;
    }
    return Math.round((d.getTime() - t.getTime()) / 86400000);
  }

  function formatDate(day) {
    var d = parseDay(day);
    return d ? d.toLocaleDateString(undefined, { year: "numeric", month: "short", day: "numeric" }) : String(day || "");
  }

  function uid() {
    return Date.now().toString(36) + "-" + Math.random().toString(36).slice(2, 10);
  }

  function lowerLabel(s) {
    s = String(s);
    return /^[A-Z][^A-Z]*$/.test(s) ? s.charAt(0).toLowerCase() + s.slice(1) : s;
  }

  function countText(n, def) {
    return n + " " + lowerLabel(n === 1 ? def.label : def.plural);
  }

  function safeCall(fn, args, fallback) {
    if (typeof fn !== "function") {
      return fallback;
    }
    try {
      var result = fn.apply(null, args);
      return result === undefined ? fallback : result;
    } catch (e) {
      // The page goes on with the fallback, but the error is not hidden: the console (and
      // the browser check) sees it, with the module's file in its stack.
      if (window.console && console.error) {
        console.error("An entity module's hook failed:", e);
      }
      return fallback;
    }
  }

  function isEmpty(v) {
    return v === undefined || v === null || v === "" || v === false;
  }

  function toast(message) {
    if (!shell) {
      return;
    }
    shell.toast.textContent = message;
    shell.toast.classList.add("show");
    if (toastTimer) {
      clearTimeout(toastTimer);
    }
    toastTimer = setTimeout(function () {
      shell.toast.classList.remove("show");
    }, 2600);
  }

  /* ---------- entity definitions ---------- */

  function configHasEntity(name) {
    return !!name && (config.entities || []).some(function (e) {
      return e.name === name;
    });
  }

  function normalizeField(f, base) {
    if (!f || typeof f.name !== "string" || !f.name) {
      return null;
    }
    var kind = KINDS.indexOf(f.kind) === -1 ? "text" : f.kind;
    var options = Array.isArray(f.options) ? f.options.map(String) : [];
    if (kind === "select" && options.length < 1) {
      kind = "text";
    }
    var target = typeof f.entity === "string" && f.entity ? f.entity : "";
    if (kind === "reference" && !target && base) {
      base.fields.forEach(function (b) {
        if (b.name === f.name && b.kind === "reference") {
          target = b.entity;
        }
      });
    }
    if (kind === "reference" && !configHasEntity(target)) {
      kind = "text";
    }
    return {
      name: f.name,
      entity: kind === "reference" ? target : "",
      label: typeof f.label === "string" && f.label ? f.label : f.name,
      kind: kind,
      required: !!f.required && kind !== "boolean",
      options: options,
      placeholder: typeof f.placeholder === "string" ? f.placeholder : "",
      help: typeof f.help === "string" ? f.help : "",
      unit: typeof f.unit === "string" ? f.unit : ""
    };
  }

  function normalizeDef(def, base) {
    if (!def || typeof def !== "object" || typeof def.name !== "string" || !def.name) {
      return null;
    }
    var fields = (Array.isArray(def.fields) ? def.fields : []).map(function (f) {
      return normalizeField(f, base);
    }).filter(Boolean);
    if (!fields.length && base) {
      fields = base.fields;
    }
    if (!fields.length) {
      return null;
    }
    return {
      name: def.name,
      label: typeof def.label === "string" && def.label ? def.label : (base ? base.label : def.name),
      plural: typeof def.plural === "string" && def.plural ? def.plural : (base ? base.plural : def.name),
      fields: fields,
      icon: typeof def.icon === "string" ? def.icon : (base ? base.icon : ""),
      streaks: def.streaks === undefined ? !!(base && base.streaks) : !!def.streaks,
      cardFields: Array.isArray(def.cardFields) ? def.cardFields.map(String) : null,
      subtitle: typeof def.subtitle === "function" ? def.subtitle : null,
      badges: typeof def.badges === "function" ? def.badges : null,
      validate: typeof def.validate === "function" ? def.validate : null
    };
  }

  function registerEntity(def) {
    var name = def && typeof def.name === "string" ? def.name : "(unnamed)";
    var known = (config.entities || []).some(function (e) {
      return e.name === name;
    });
    if (!known) {
      problems.push("An entity module registered \"" + name + "\", which this app does not have.");
      return false;
    }
    var normalized = normalizeDef(def, configEntity(name));
    if (!normalized) {
      problems.push("The module for \"" + name + "\" is incomplete, so its basic version is used.");
      return false;
    }
    registered[name] = normalized;
    return true;
  }

  function configEntity(name) {
    var list = config.entities || [];
    for (var i = 0; i < list.length; i++) {
      if (list[i].name === name) {
        return normalizeDef(list[i], null);
      }
    }
    return null;
  }

  function entityDef(name) {
    return registered[name] || configEntity(name);
  }

  function allDefs() {
    return (config.entities || []).map(function (e) {
      return entityDef(e.name);
    }).filter(Boolean);
  }

  function titleOf(def, record) {
    var field = def.fields[0];
    var text = formatPlain(field, record.values[field.name]);
    return text || "Untitled " + lowerLabel(def.label);
  }

  /* ---------- data ---------- */

  function normalizeRecord(r) {
    if (!r || typeof r !== "object") {
      return null;
    }
    var values = r.values && typeof r.values === "object" ? r.values : {};
    var clean = {};
    Object.keys(values).forEach(function (k) {
      var v = values[k];
      if (typeof v === "string" || typeof v === "number" || typeof v === "boolean") {
        clean[k] = v;
      }
    });
    return {
      id: typeof r.id === "string" && r.id ? r.id : uid(),
      createdAt: typeof r.createdAt === "string" ? r.createdAt : new Date().toISOString(),
      updatedAt: typeof r.updatedAt === "string" ? r.updatedAt : new Date().toISOString(),
      values: clean,
      tags: Array.isArray(r.tags) ? r.tags.map(String).filter(Boolean) : [],
      favorite: !!r.favorite,
      checkins: Array.isArray(r.checkins) ? r.checkins.filter(function (d) {
        return !!parseDay(d);
      }) : []
    };
  }

  function records(name) {
    if (!data[name]) {
      var raw = store.get("data:" + name, []);
      data[name] = (Array.isArray(raw) ? raw : []).map(normalizeRecord).filter(Boolean);
    }
    return data[name];
  }

  function saveRecords(name, list) {
    data[name] = list;
    store.set("data:" + name, list);
  }

  /* ---------- values ---------- */

  function formatPlain(field, v) {
    if (isEmpty(v) && field.kind !== "boolean") {
      return "";
    }
    switch (field.kind) {
      case "boolean":
        return v ? "Yes" : "No";
      case "number":
        var n = Number(v);
        return isFinite(n) ? n.toLocaleString() + (field.unit ? " " + field.unit : "") : String(v);
      case "date":
        return formatDate(v);
      case "rating":
        var stars = Math.max(0, Math.min(5, Math.round(Number(v) || 0)));
        return stars + "/5";
      case "reference":
        return refTitle(field, v);
      default:
        return String(v);
    }
  }

  /* ---------- references ---------- */

  function findRecord(name, id) {
    var list = records(name);
    for (var i = 0; i < list.length; i++) {
      if (list[i].id === id) {
        return list[i];
      }
    }
    return null;
  }

  // The title of the record a reference points to, or a note that it was deleted.
  function refTitle(field, id) {
    var def = entityDef(field.entity);
    if (!def) {
      return "";
    }
    var rec = findRecord(def.name, String(id));
    return rec ? titleOf(def, rec) : "Deleted " + lowerLabel(def.label);
  }

  function refOptions(field) {
    var def = entityDef(field.entity);
    if (!def) {
      return [];
    }
    return records(def.name).map(function (r) {
      return { id: r.id, title: titleOf(def, r) };
    }).sort(function (a, b) {
      return a.title.localeCompare(b.title, undefined, { sensitivity: "base", numeric: true });
    });
  }

  function renderValue(field, v) {
    if (field.kind === "rating") {
      var stars = Math.max(0, Math.min(5, Math.round(Number(v) || 0)));
      return h("span", { class: "stars", role: "img", "aria-label": stars + " out of 5" },
        "\u2605\u2605\u2605\u2605\u2605".slice(0, stars) + "\u2606\u2606\u2606\u2606\u2606".slice(0, 5 - stars));
    }
    if (field.kind === "color") {
      return h("span", { class: "swatch-wrap" }, [
        h("span", { class: "swatch", style: "background:" + (/^#[0-9a-fA-F]{6}$/.test(String(v)) ? v : "transparent") }),
        String(v)
      ]);
    }
    if (field.kind === "url" && /^https?:\/\//i.test(String(v))) {
      return h("a", { href: String(v), target: "_blank", rel: "noopener noreferrer" }, String(v).replace(/^https?:\/\//i, ""));
    }
    if (field.kind === "email" && /^[^\s@]+@[^\s@]+$/.test(String(v))) {
      return h("a", { href: "mailto:" + String(v) }, String(v));
    }
    if (field.kind === "select") {
      return h("span", { class: "chip" }, String(v));
    }
    if (field.kind === "reference") {
      var def = entityDef(field.entity);
      var missing = !def || !findRecord(def.name, String(v));
      return h("span", { class: "chip chip-ref" + (missing ? " missing" : ""), "data-ref": field.entity }, refTitle(field, v));
    }
    if (field.kind === "boolean") {
      return h("span", { class: v ? "yes" : "no" }, v ? "Yes" : "No");
    }
    return formatPlain(field, v);
  }

  /* ---------- streaks ---------- */

  function streakInfo(checkins) {
    var set = Object.create(null);
    (checkins || []).forEach(function (d) {
      set[d] = true;
    });
    var day = today();
    var checkedToday = !!set[day];
    if (!checkedToday) {
      day = addDays(day, -1);
    }
    var current = 0;
    while (set[day]) {
      current += 1;
      day = addDays(day, -1);
    }
    var days = Object.keys(set).sort();
    var best = 0;
    var run = 0;
    var prev = null;
    days.forEach(function (d) {
      run = prev && addDays(prev, 1) === d ? run + 1 : 1;
      best = Math.max(best, run);
      prev = d;
    });
    return { current: current, best: best, checkedToday: checkedToday, total: days.length };
  }

  /* ---------- theme ---------- */

  function systemDark() {
    try {
      return !!(window.matchMedia && window.matchMedia("(prefers-color-scheme: dark)").matches);
    } catch (e) {
      return false;
    }
  }

  function themePreference() {
    var pref = has("dark_mode") ? store.get("theme", null) : null;
    if (pref === "light" || pref === "dark" || pref === "auto") {
      return pref;
    }
    var mode = config.theme && config.theme.mode;
    return mode === "dark" || mode === "auto" ? mode : "light";
  }

  function applyTheme() {
    var pref = themePreference();
    var theme = pref === "auto" ? (systemDark() ? "dark" : "light") : pref;
    document.documentElement.setAttribute("data-theme", theme);
    if (shell && shell.themeToggle) {
      var dark = theme === "dark";
      shell.themeToggle.setAttribute("aria-pressed", dark ? "true" : "false");
      shell.themeToggle.setAttribute("title", dark ? "Switch to light theme" : "Switch to dark theme");
      clear(shell.themeToggle);
      // A toggle button: its name stays "Dark mode" (so it matches the visible text) and
      // aria-pressed carries the state.
      append(shell.themeToggle, [icon(dark ? "moon" : "sun"), h("span", { class: "toggle-text" }, "Dark mode")]);
    }
    return theme;
  }

  function setTheme(pref) {
    store.set("theme", pref);
    applyTheme();
  }

  /* ---------- shell ---------- */

  function pages() {
    return Array.isArray(config.pages) ? config.pages : [];
  }

  function currentPageId() {
    var hash = String(window.location.hash || "");
    var list = pages();
    if (hash.indexOf("#/") === 0) {
      var id = decodeURIComponent(hash.slice(2));
      for (var i = 0; i < list.length; i++) {
        if (list[i].id === id) {
          return id;
        }
      }
    }
    if (shell && shell.page) {
      return shell.page;
    }
    return list.length ? list[0].id : "";
  }

  function buildShell(root) {
    var layout = config.layout || {};
    clear(root);
    var first = pages().length ? pages()[0].id : "";
    var themeToggle = null;
    if (has("dark_mode")) {
      themeToggle = h("button", {
        type: "button",
        class: "btn btn-ghost theme-toggle",
        "data-testid": "theme-toggle",
        "aria-label": "Dark mode",
        "aria-pressed": "false",
        onclick: function () {
          var dark = document.documentElement.getAttribute("data-theme") === "dark";
          setTheme(dark ? "light" : "dark");
          toast(dark ? "Light theme on" : "Dark theme on");
        }
      });
    }
    var navList = h("ul", { class: "nav-list" }, pages().map(function (p) {
      return h("li", null, h("a", {
        href: "#/" + p.id,
        class: "nav-link",
        "data-testid": "nav-" + p.id
      }, [
        art(p.icon || "assets/icons/" + p.id + ".svg", "nav-icon", "20", ""),
        h("span", null, p.title)
      ]));
    }));
    var main = h("main", { id: "main", class: "app-main", tabindex: "-1" });
    var toastEl = h("div", { class: "toast", role: "status", "aria-live": "polite" });
    var footer = h("footer", { class: "app-footer" });
    var frame = h("div", { class: "shell nav-" + (layout.nav === "top" ? "top" : "sidebar") + " cards-" + (layout.cards === "rows" ? "rows" : "grid") }, [
      h("a", { class: "skip-link", href: "#main" }, "Skip to content"),
      h("header", { class: "app-header" }, [
        h("a", { class: "brand", href: "#/" + first }, [
          art("assets/logo.svg", "brand-logo", "36", ""),
          h("span", { class: "brand-name" }, config.name || "App")
        ]),
        h("div", { class: "header-actions" }, themeToggle)
      ]),
      h("nav", { class: "app-nav", "aria-label": "Main" }, navList),
      main,
      footer,
      toastEl
    ]);
    root.appendChild(frame);
    shell = { root: root, main: main, nav: navList, toast: toastEl, footer: footer, themeToggle: themeToggle, page: null };
    footer.textContent = store.persistent()
      ? "Your data is saved in this browser."
      : "Storage is unavailable here, so your data lasts until you reload.";
  }

  function route(focus) {
    var id = currentPageId();
    var page = null;
    pages().forEach(function (p) {
      if (p.id === id) {
        page = p;
      }
    });
    shell.page = id;
    Array.prototype.forEach.call(shell.nav.querySelectorAll("a.nav-link"), function (a) {
      if (a.getAttribute("href") === "#/" + id) {
        a.setAttribute("aria-current", "page");
      } else {
        a.removeAttribute("aria-current");
      }
    });
    clear(shell.main);
    if (!page) {
      shell.main.appendChild(h("section", { class: "page" }, h("h1", { text: "Nothing here yet" })));
      return;
    }
    document.title = page.title + " \u00b7 " + (config.name || "App");
    var view;
    if (page.kind === "list") {
      view = listPage(page);
    } else if (page.kind === "dashboard") {
      view = dashboardPage(page);
    } else if (page.kind === "settings") {
      view = settingsPage(page);
    } else if (VIEW_RENDERERS[page.kind]) {
      view = viewPage(page);
    } else {
      view = aboutPage(page);
    }
    shell.main.appendChild(view);
    if (focus) {
      var heading = view.querySelector("h1");
      if (heading) {
        heading.setAttribute("tabindex", "-1");
        heading.focus();
      }
    }
  }

  function pageHead(title, sub, action) {
    return h("div", { class: "page-head" }, [
      h("div", { class: "page-titles" }, [
        h("h1", { class: "page-title" }, title),
        sub ? h("p", { class: "page-sub" }, sub) : null
      ]),
      action || null
    ]);
  }

  function problemBanner(name) {
    var mine = problems.filter(function (p) {
      return !name || p.indexOf("\"" + name + "\"") !== -1;
    });
    if (!mine.length) {
      return null;
    }
    return h("div", { class: "banner", role: "note" }, mine.join(" "));
  }

  /* ---------- list pages ---------- */

  function listState(name) {
    if (!ui[name]) {
      ui[name] = { query: "", sort: "newest", favOnly: false, tag: "", editing: null, confirming: null };
    }
    return ui[name];
  }

  function listPage(page) {
    var def = entityDef(page.entity);
    if (!def) {
      return h("section", { class: "page" }, [pageHead(page.title, "This part of the app could not be loaded.")]);
    }
    var st = listState(def.name);
    st.editing = null;
    st.confirming = null;
    var view = {};
    view.count = h("p", { class: "page-sub" });
    view.newButton = h("button", {
      type: "button",
      class: "btn btn-primary",
      "data-testid": "new-" + def.name,
      "aria-expanded": "false",
      "aria-controls": "panel-" + def.name,
      onclick: function () {
        openForm(def, view, null);
      }
    }, [icon("plus"), "New " + lowerLabel(def.label)]);
    view.panel = h("div", { class: "form-panel", id: "panel-" + def.name, hidden: true });
    view.records = h("div", { class: "records", role: "list", "aria-label": def.plural });
    view.search = h("input", {
      type: "search",
      class: "search-input",
      id: "search-" + def.name,
      "data-testid": "search",
      placeholder: "Search " + lowerLabel(def.plural) + "\u2026",
      "aria-label": "Search " + lowerLabel(def.plural),
      autocomplete: "off",
      value: st.query,
      oninput: function (e) {
        st.query = e.target.value;
        renderRecords(def, view);
      },
      onkeydown: function (e) {
        if (e.key === "Escape" && st.query) {
          st.query = "";
          e.target.value = "";
          renderRecords(def, view);
        }
      }
    });
    var tools = [h("div", { class: "search-box" + (has("search") ? " prominent" : "") }, [icon("search", "search-icon"), view.search])];
    if (has("favorites")) {
      view.favFilter = h("button", {
        type: "button",
        class: "btn btn-ghost fav-filter",
        "aria-pressed": st.favOnly ? "true" : "false",
        onclick: function () {
          st.favOnly = !st.favOnly;
          view.favFilter.setAttribute("aria-pressed", st.favOnly ? "true" : "false");
          renderRecords(def, view);
        }
      }, [icon("star"), "Favourites"]);
      tools.push(view.favFilter);
    }
    if (has("sorting")) {
      var sortSelect = h("select", {
        class: "sort-select",
        id: "sort-" + def.name,
        "aria-label": "Sort " + lowerLabel(def.plural),
        onchange: function (e) {
          st.sort = e.target.value;
          renderRecords(def, view);
        }
      }, sortOptions(def).map(function (o) {
        return h("option", { value: o.value, selected: o.value === st.sort }, o.label);
      }));
      tools.push(h("label", { class: "sort-label" }, [h("span", { class: "sort-text" }, "Sort"), sortSelect]));
    }
    view.tagBar = h("div", { class: "tag-filter", hidden: true });
    var section = h("section", { class: "page page-list", "aria-labelledby": "title-" + def.name }, [
      problemBanner(def.name),
      h("div", { class: "page-head" }, [
        h("div", { class: "page-titles" }, [
          h("h1", { class: "page-title", id: "title-" + def.name }, [
            def.icon ? art(def.icon, "title-icon", "28", "") : null,
            page.title || def.plural
          ]),
          view.count
        ]),
        view.newButton
      ]),
      view.panel,
      h("div", { class: "toolbar", role: "search" }, tools),
      view.tagBar,
      view.records
    ]);
    section.addEventListener("keydown", function (e) {
      if (e.key !== "Escape") {
        return;
      }
      if (st.confirming) {
        st.confirming = null;
        renderRecords(def, view);
      } else if (st.editing) {
        closeForm(def, view);
      }
    });
    renderRecords(def, view);
    return section;
  }

  function sortOptions(def) {
    var title = def.fields[0];
    var opts = [
      { value: "newest", label: "Newest first" },
      { value: "oldest", label: "Oldest first" },
      { value: "title-asc", label: title.label + " A\u2013Z" },
      { value: "title-desc", label: title.label + " Z\u2013A" }
    ];
    def.fields.slice(1).forEach(function (f) {
      if (f.kind === "number" || f.kind === "rating") {
        opts.push({ value: "desc:" + f.name, label: f.label + " (high to low)" });
        opts.push({ value: "asc:" + f.name, label: f.label + " (low to high)" });
      } else if (f.kind === "date") {
        opts.push({ value: "asc:" + f.name, label: f.label + " (earliest first)" });
        opts.push({ value: "desc:" + f.name, label: f.label + " (latest first)" });
      } else if (f.kind === "select" || f.kind === "text") {
        opts.push({ value: "asc:" + f.name, label: f.label + " A\u2013Z" });
      }
    });
    return opts;
  }

  function compareValues(a, b, kind) {
    var ea = isEmpty(a);
    var eb = isEmpty(b);
    if (ea || eb) {
      return ea && eb ? 0 : ea ? 1 : -1;
    }
    if (kind === "number" || kind === "rating") {
      return Number(a) - Number(b);
    }
    return String(a).localeCompare(String(b), undefined, { sensitivity: "base", numeric: true });
  }

  function sortRecords(def, list, sort) {
    var out = list.slice();
    var title = def.fields[0];
    out.sort(function (a, b) {
      if (sort === "oldest") {
        return a.createdAt < b.createdAt ? -1 : a.createdAt > b.createdAt ? 1 : 0;
      }
      if (sort === "title-asc" || sort === "title-desc") {
        var c = compareValues(formatPlain(title, a.values[title.name]), formatPlain(title, b.values[title.name]), "text");
        return sort === "title-asc" ? c : -c;
      }
      var m = /^(asc|desc):(.+)$/.exec(sort);
      if (m) {
        var field = null;
        def.fields.forEach(function (f) {
          if (f.name === m[2]) {
            field = f;
          }
        });
        if (field) {
          var va = a.values[field.name];
          var vb = b.values[field.name];
          if (isEmpty(va) || isEmpty(vb)) {
            return compareValues(va, vb, field.kind);
          }
          var d = compareValues(va, vb, field.kind);
          return m[1] === "asc" ? d : -d;
        }
      }
      return a.createdAt < b.createdAt ? 1 : a.createdAt > b.createdAt ? -1 : 0;
    });
    return out;
  }

  function haystack(def, r) {
    var parts = def.fields.map(function (f) {
      var v = r.values[f.name];
      return f.kind === "boolean" ? (v ? f.label : "") : formatPlain(f, v) + " " + (isEmpty(v) ? "" : String(v));
    });
    parts = parts.concat(r.tags);
    return parts.join(" \u0001 ").toLowerCase();
  }

  function filtered(def, st) {
    var terms = st.query.toLowerCase().split(/\s+/).filter(Boolean);
    var list = records(def.name).filter(function (r) {
      if (st.favOnly && !r.favorite) {
        return false;
      }
      if (st.tag && r.tags.indexOf(st.tag) === -1) {
        return false;
      }
      if (!terms.length) {
        return true;
      }
      var text = haystack(def, r);
      return terms.every(function (t) {
        return text.indexOf(t) !== -1;
      });
    });
    return sortRecords(def, list, has("sorting") ? st.sort : "newest");
  }

  function renderRecords(def, view) {
    var st = listState(def.name);
    var all = records(def.name);
    var list = filtered(def, st);
    view.count.textContent = list.length === all.length
      ? countText(all.length, def)
      : list.length + " of " + countText(all.length, def);
    clear(view.tagBar);
    view.tagBar.hidden = !st.tag;
    if (st.tag) {
      append(view.tagBar, [
        h("span", null, "Tagged "),
        h("button", {
          type: "button",
          class: "chip chip-active",
          "aria-label": "Stop filtering by tag " + st.tag,
          onclick: function () {
            st.tag = "";
            renderRecords(def, view);
          }
        }, ["#" + st.tag, icon("close")])
      ]);
    }
    clear(view.records);
    if (!all.length) {
      view.records.appendChild(h("div", { class: "empty", role: "listitem" }, [
        def.icon ? art(def.icon, "empty-icon", "56", "") : null,
        h("h2", { class: "empty-title" }, "No " + lowerLabel(def.plural) + " yet"),
        h("p", null, "Add your first " + lowerLabel(def.label) + " to get started."),
        h("button", {
          type: "button",
          class: "btn btn-soft",
          onclick: function () {
            openForm(def, view, null);
          }
        }, [icon("plus"), "Add " + lowerLabel(def.label)])
      ]));
      return;
    }
    if (!list.length) {
      view.records.appendChild(h("div", { class: "empty", role: "listitem" }, [
        h("h2", { class: "empty-title" }, "No matches"),
        h("p", null, st.query ? "No " + lowerLabel(def.plural) + " match \u201c" + st.query + "\u201d." : "Nothing matches these filters."),
        h("button", {
          type: "button",
          class: "btn btn-soft",
          onclick: function () {
            st.query = "";
            st.tag = "";
            st.favOnly = false;
            view.search.value = "";
            if (view.favFilter) {
              view.favFilter.setAttribute("aria-pressed", "false");
            }
            renderRecords(def, view);
          }
        }, "Clear filters")
      ]));
      return;
    }
    list.forEach(function (r) {
      view.records.appendChild(recordCard(def, view, r));
    });
  }

  function recordCard(def, view, r) {
    var st = listState(def.name);
    var title = titleOf(def, r);
    var values = r.values;
    var sub = safeCall(def.subtitle, [values, r], "");
    var badges = safeCall(def.badges, [values, r], []);
    var rows = [];
    def.fields.slice(1).forEach(function (f) {
      var v = values[f.name];
      if (def.cardFields && def.cardFields.indexOf(f.name) === -1) {
        return;
      }
      if (isEmpty(v) && f.kind !== "boolean") {
        return;
      }
      if (f.kind === "boolean" && !v) {
        return;
      }
      rows.push(h("div", { class: "kv kv-" + f.kind }, [h("dt", null, f.label), h("dd", null, renderValue(f, v))]));
    });
    var head = [h("h3", { class: "record-title" }, title)];
    if (has("favorites")) {
      head.push(h("button", {
        type: "button",
        class: "icon-btn fav" + (r.favorite ? " on" : ""),
        "aria-pressed": r.favorite ? "true" : "false",
        "aria-label": "Favourite " + title,
        title: r.favorite ? "Remove from favourites" : "Add to favourites",
        onclick: function () {
          updateRecord(def, r.id, function (rec) {
            rec.favorite = !rec.favorite;
          });
          renderRecords(def, view);
          toast(r.favorite ? "Removed from favourites" : "Added to favourites");
        }
      }, icon("star")));
    }
    var body = [
      h("div", { class: "record-head" }, head),
      typeof sub === "string" && sub ? h("p", { class: "record-sub" }, sub) : null,
      Array.isArray(badges) && badges.length ? h("div", { class: "badges" }, badges.slice(0, 6).map(function (b) {
        return h("span", { class: "chip chip-accent" }, String(b));
      })) : null,
      rows.length ? h("dl", { class: "record-fields" }, rows) : null
    ];
    if (r.tags.length) {
      body.push(h("div", { class: "tags" }, r.tags.map(function (t) {
        return h("button", {
          type: "button",
          class: "chip chip-tag",
          "aria-label": "Show " + lowerLabel(def.plural) + " tagged " + t,
          onclick: function () {
            st.tag = t;
            renderRecords(def, view);
          }
        }, "#" + t);
      })));
    }
    if (has("streaks") && def.streaks) {
      var s = streakInfo(r.checkins);
      body.push(h("div", { class: "streak" + (s.current ? " live" : "") }, [
        h("span", { class: "streak-count" }, [icon("flame"), h("strong", null, String(s.current)), " day" + (s.current === 1 ? "" : "s")]),
        h("span", { class: "streak-best" }, "Best " + s.best),
        h("button", {
          type: "button",
          class: "btn btn-small " + (s.checkedToday ? "btn-done" : "btn-soft"),
          "aria-pressed": s.checkedToday ? "true" : "false",
          "aria-label": "Check in " + title + " today",
          onclick: function () {
            var day = today();
            updateRecord(def, r.id, function (rec) {
              var i = rec.checkins.indexOf(day);
              if (i === -1) {
                rec.checkins.push(day);
              } else {
                rec.checkins.splice(i, 1);
              }
            });
            renderRecords(def, view);
            toast(s.checkedToday ? "Check-in undone" : "Checked in for today");
          }
        }, s.checkedToday ? [icon("check"), "Done today"] : "Check in today")
      ]));
    }
    var actions = h("div", { class: "record-actions" }, [
      h("button", {
        type: "button",
        class: "btn btn-ghost btn-small",
        "data-testid": "edit",
        "aria-label": "Edit " + title,
        onclick: function () {
          openForm(def, view, r.id);
        }
      }, [icon("edit"), h("span", null, "Edit")]),
      h("button", {
        type: "button",
        class: "btn btn-ghost btn-small btn-danger-text",
        "data-testid": "delete",
        "aria-label": "Delete " + title,
        "aria-expanded": st.confirming === r.id ? "true" : "false",
        onclick: function () {
          st.confirming = r.id;
          renderRecords(def, view);
          var c = view.records.querySelector("[data-testid=confirm-delete]");
          if (c) {
            c.focus();
          }
        }
      }, [icon("trash"), h("span", null, "Delete")])
    ]);
    var card = h("article", {
      class: "record" + (r.favorite ? " is-fav" : ""),
      role: "listitem",
      "data-testid": "record",
      "data-id": r.id,
      "aria-label": title
    }, [h("div", { class: "record-body" }, body), actions]);
    if (st.confirming === r.id) {
      card.appendChild(h("div", { class: "confirm", role: "group", "aria-label": "Confirm deletion" }, [
        h("p", null, "Delete \u201c" + title + "\u201d? This cannot be undone."),
        h("div", { class: "confirm-actions" }, [
          h("button", {
            type: "button",
            class: "btn btn-danger btn-small",
            "data-testid": "confirm-delete",
            onclick: function () {
              st.confirming = null;
              if (st.editing === r.id) {
                closeForm(def, view);
              }
              saveRecords(def.name, records(def.name).filter(function (x) {
                return x.id !== r.id;
              }));
              renderRecords(def, view);
              toast(def.label + " deleted");
              view.newButton.focus();
            }
          }, "Yes, delete"),
          h("button", {
            type: "button",
            class: "btn btn-ghost btn-small",
            onclick: function () {
              st.confirming = null;
              renderRecords(def, view);
            }
          }, "Cancel")
        ])
      ]));
    }
    return card;
  }

  function updateRecord(def, id, change) {
    var list = records(def.name).map(function (r) {
      if (r.id !== id) {
        return r;
      }
      var copy = normalizeRecord(JSON.parse(JSON.stringify(r)));
      change(copy);
      copy.updatedAt = new Date().toISOString();
      return copy;
    });
    saveRecords(def.name, list);
  }

  /* ---------- forms ---------- */

  function fieldInput(def, f, value, inputId, errId) {
    var common = {
      id: inputId,
      name: f.name,
      "aria-describedby": errId + (f.help ? " " + inputId + "-help" : ""),
      "aria-required": f.required ? "true" : null,
      required: f.required || null
    };
    function merge(extra) {
      var out = {};
      Object.keys(common).forEach(function (k) {
        out[k] = common[k];
      });
      Object.keys(extra).forEach(function (k) {
        out[k] = extra[k];
      });
      return out;
    }
    var v = isEmpty(value) ? "" : value;
    switch (f.kind) {
      case "long_text":
        var ta = h("textarea", merge({ rows: "4", placeholder: f.placeholder || null, maxlength: "5000" }));
        ta.value = String(v);
        return ta;
      case "number":
        return h("input", merge({ type: "number", step: "any", inputmode: "decimal", value: String(v), placeholder: f.placeholder || null }));
      case "boolean":
        delete common.required;
        delete common["aria-required"];
        return h("input", merge({ type: "checkbox", checked: !!value, value: "yes" }));
      case "date":
        return h("input", merge({ type: "date", value: String(v) }));
      case "email":
        return h("input", merge({ type: "email", value: String(v), autocomplete: "off", placeholder: f.placeholder || "name@example.com" }));
      case "url":
        return h("input", merge({ type: "url", value: String(v), inputmode: "url", placeholder: f.placeholder || "example.com" }));
      case "color":
        return h("input", merge({ type: "color", value: /^#[0-9a-fA-F]{6}$/.test(String(v)) ? String(v) : themePrimary() }));
      case "select":
        var opts = [h("option", { value: "" }, f.required ? "Choose\u2026" : "\u2014")];
        f.options.forEach(function (o) {
          opts.push(h("option", { value: o, selected: String(v) === o }, o));
        });
        return h("select", merge({}), opts);
      case "reference":
        var choices = refOptions(f);
        var target = entityDef(f.entity);
        var none = choices.length ? (f.required ? "Choose\u2026" : "\u2014") : "No " + lowerLabel(target ? target.plural : "records") + " yet";
        var refOpts = [h("option", { value: "" }, none)];
        var known = false;
        choices.forEach(function (c) {
          known = known || c.id === String(v);
          refOpts.push(h("option", { value: c.id, selected: c.id === String(v) }, c.title));
        });
        if (v !== "" && !known) {
          // Keep a link to a deleted record unless the person picks another.
          refOpts.push(h("option", { value: String(v), selected: true }, refTitle(f, v)));
        }
        return h("select", merge({ "data-entity": f.entity }), refOpts);
      default:
        return h("input", merge({ type: "text", value: String(v), maxlength: "300", placeholder: f.placeholder || null, autocomplete: "off" }));
    }
  }

  function ratingInput(f, value, groupId, errId) {
    var current = Math.round(Number(value) || 0);
    var radios = [];
    for (var i = 1; i <= 5; i++) {
      var id = groupId + "-" + i;
      radios.push(h("input", {
        type: "radio",
        id: id,
        name: f.name,
        value: String(i),
        checked: current === i,
        class: "star-radio",
        "aria-describedby": errId
      }));
      radios.push(h("label", { for: id, class: "star-label", title: i + " of 5" }, [
        h("span", { "aria-hidden": "true" }, "\u2605"),
        h("span", { class: "sr-only" }, i + (i === 1 ? " star" : " stars"))
      ]));
    }
    return h("fieldset", { class: "field field-rating", "data-field": f.name, "data-kind": "rating" }, [
      h("legend", null, [f.label, f.required ? h("span", { class: "req", "aria-hidden": "true" }, " *") : null]),
      h("div", { class: "stars-input", role: "radiogroup", "aria-label": f.label, "aria-required": f.required ? "true" : null }, radios),
      h("p", { class: "field-error", id: errId, hidden: true })
    ]);
  }

  function openForm(def, view, id) {
    var st = listState(def.name);
    var record = null;
    if (id) {
      records(def.name).forEach(function (r) {
        if (r.id === id) {
          record = r;
        }
      });
      if (!record) {
        return;
      }
    }
    st.editing = id || "new";
    var values = record ? record.values : {};
    var prefix = "f-" + def.name;
    var fields = def.fields.map(function (f) {
      var inputId = prefix + "-" + f.name;
      var errId = inputId + "-err";
      if (f.kind === "rating") {
        return ratingInput(f, values[f.name], inputId, errId);
      }
      var input = fieldInput(def, f, values[f.name], inputId, errId);
      var label = h("label", { for: inputId }, [f.label, f.required ? h("span", { class: "req", "aria-hidden": "true" }, " *") : null]);
      return h("div", { class: "field field-" + f.kind + (f.kind === "long_text" ? " wide" : ""), "data-field": f.name, "data-kind": f.kind },
        f.kind === "boolean"
          ? [h("div", { class: "check-row" }, [input, label]), h("p", { class: "field-error", id: errId, hidden: true })]
          : [label, input, f.help ? h("p", { class: "help", id: inputId + "-help" }, f.help) : null, h("p", { class: "field-error", id: errId, hidden: true })]);
    });
    if (has("tags")) {
      fields.push(h("div", { class: "field field-tags wide", "data-field": "tags", "data-kind": "tags" }, [
        h("label", { for: prefix + "-tags" }, "Tags"),
        h("input", {
          type: "text",
          id: prefix + "-tags",
          name: "tags",
          value: record ? record.tags.join(", ") : "",
          placeholder: "e.g. home, weekly",
          autocomplete: "off",
          "aria-describedby": prefix + "-tags-help"
        }),
        h("p", { class: "help", id: prefix + "-tags-help" }, "Separate tags with commas.")
      ]));
    }
    var heading = h("h2", { class: "form-title", id: prefix + "-heading" }, (record ? "Edit " : "New ") + lowerLabel(def.label));
    var form = h("form", {
      class: "entity-form",
      "data-testid": "form-" + def.name,
      "aria-labelledby": prefix + "-heading",
      novalidate: true,
      onsubmit: function (e) {
        e.preventDefault();
        submitForm(def, view, form, record);
      }
    }, [
      heading,
      h("div", { class: "form-grid" }, fields),
      h("div", { class: "form-actions" }, [
        h("button", { type: "submit", class: "btn btn-primary", "data-testid": "save" }, record ? "Save changes" : "Save " + lowerLabel(def.label)),
        h("button", {
          type: "button",
          class: "btn btn-ghost",
          onclick: function () {
            closeForm(def, view);
          }
        }, "Cancel")
      ])
    ]);
    // A field's error goes away as soon as it is edited.
    var clearError = function (e) {
      var box = e.target && e.target.closest ? e.target.closest("[data-field]") : null;
      if (!box || !box.classList.contains("invalid")) {
        return;
      }
      box.classList.remove("invalid");
      var err = box.querySelector(".field-error");
      if (err) {
        err.hidden = true;
      }
      Array.prototype.forEach.call(box.querySelectorAll("[aria-invalid]"), function (c) {
        c.removeAttribute("aria-invalid");
      });
    };
    form.addEventListener("input", clearError);
    form.addEventListener("change", clearError);
    clear(view.panel);
    view.panel.appendChild(form);
    view.panel.hidden = false;
    view.newButton.setAttribute("aria-expanded", "true");
    var first = form.querySelector("input, textarea, select");
    if (first) {
      first.focus();
    }
    if (view.panel.scrollIntoView) {
      view.panel.scrollIntoView({ block: "nearest" });
    }
  }

  function closeForm(def, view) {
    listState(def.name).editing = null;
    clear(view.panel);
    view.panel.hidden = true;
    view.newButton.setAttribute("aria-expanded", "false");
  }

  function readValue(form, f) {
    if (f.kind === "rating") {
      var checked = form.querySelector("input[name=\"" + f.name + "\"]:checked");
      return checked ? Number(checked.value) : "";
    }
    var el = form.elements.namedItem(f.name);
    if (!el) {
      return "";
    }
    if (f.kind === "boolean") {
      return !!el.checked;
    }
    var raw = String(el.value || "").trim();
    if (f.kind === "number") {
      return raw === "" ? "" : Number(raw);
    }
    if (f.kind === "url" && raw && !/^[a-z][a-z0-9+.-]*:/i.test(raw)) {
      return "https://" + raw;
    }
    return raw;
  }

  function checkValue(f, v) {
    if (f.required && isEmpty(v)) {
      return f.label + " is required.";
    }
    if (isEmpty(v)) {
      return "";
    }
    switch (f.kind) {
      case "number":
        return typeof v === "number" && isFinite(v) ? "" : f.label + " must be a number.";
      case "email":
        return /^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(v) ? "" : "Enter an email address like name@example.com.";
      case "url":
        return /^https?:\/\/[^\s/$.?#][^\s]*\.[^\s]+$/i.test(v) || /^https?:\/\/localhost/i.test(v) ? "" : "Enter a web address like example.com.";
      case "date":
        return parseDay(v) ? "" : "Enter a date.";
      case "select":
        return f.options.indexOf(v) !== -1 ? "" : "Choose one of the options.";
      case "rating":
        return v >= 1 && v <= 5 ? "" : "Choose 1 to 5 stars.";
      default:
        return "";
    }
  }

  /* Adds the entity module's own validation messages to `errors` (the shell's go first). */
  function moduleErrors(def, values, record, errors) {
    var extra = safeCall(def.validate, [values, record], {});
    if (extra && typeof extra === "object") {
      Object.keys(extra).forEach(function (k) {
        if (!errors[k] && typeof extra[k] === "string" && extra[k]) {
          errors[k] = extra[k];
        }
      });
    }
  }

  function submitForm(def, view, form, record) {
    var values = {};
    var errors = {};
    def.fields.forEach(function (f) {
      values[f.name] = readValue(form, f);
      var msg = checkValue(f, values[f.name]);
      if (msg) {
        errors[f.name] = msg;
      }
    });
    moduleErrors(def, values, record, errors);
    var firstBad = null;
    def.fields.forEach(function (f) {
      var box = form.querySelector("[data-field=\"" + f.name + "\"]");
      if (!box) {
        return;
      }
      var err = box.querySelector(".field-error");
      var controls = box.querySelectorAll("input, textarea, select");
      var msg = errors[f.name] || "";
      if (err) {
        err.textContent = msg;
        err.hidden = !msg;
      }
      box.classList.toggle("invalid", !!msg);
      Array.prototype.forEach.call(controls, function (c) {
        if (msg) {
          c.setAttribute("aria-invalid", "true");
        } else {
          c.removeAttribute("aria-invalid");
        }
      });
      if (msg && !firstBad && controls.length) {
        firstBad = controls[0];
      }
    });
    var unknown = Object.keys(errors).filter(function (k) {
      return !form.querySelector("[data-field=\"" + k + "\"]");
    });
    if (firstBad || unknown.length) {
      if (firstBad) {
        firstBad.focus();
      }
      toast(unknown.length ? errors[unknown[0]] : "Please fix the highlighted fields.");
      return;
    }
    var tags = [];
    var tagInput = form.elements.namedItem("tags");
    if (has("tags") && tagInput) {
      String(tagInput.value || "").split(",").forEach(function (t) {
        t = t.trim().replace(/^#/, "").slice(0, 40);
        if (t && tags.indexOf(t) === -1) {
          tags.push(t);
        }
      });
    }
    var now = new Date().toISOString();
    if (record) {
      updateRecord(def, record.id, function (rec) {
        rec.values = values;
        if (has("tags")) {
          rec.tags = tags;
        }
      });
    } else {
      var list = records(def.name).slice();
      list.unshift({ id: uid(), createdAt: now, updatedAt: now, values: values, tags: tags, favorite: false, checkins: [] });
      saveRecords(def.name, list);
    }
    closeForm(def, view);
    renderRecords(def, view);
    toast(def.label + (record ? " updated" : " saved"));
    view.newButton.focus();
  }

  /* ---------- dashboard ---------- */

  function barChart(title, rows) {
    var max = 0;
    rows.forEach(function (r) {
      max = Math.max(max, r.value);
    });
    return h("figure", { class: "card chart" }, [
      h("figcaption", { class: "card-title" }, title),
      h("ul", { class: "bars" }, rows.map(function (r) {
        var pct = max ? Math.round((r.value / max) * 100) : 0;
        return h("li", { class: "bar-row" }, [
          h("span", { class: "bar-label" }, r.label),
          h("span", { class: "bar-track", "aria-hidden": "true" }, h("span", { class: "bar-fill", style: "width:" + Math.max(pct, r.value ? 4 : 0) + "%" })),
          h("span", { class: "bar-value" }, String(r.value))
        ]);
      }))
    ]);
  }

  function activityChart(all) {
    var days = [];
    var counts = Object.create(null);
    for (var i = 13; i >= 0; i--) {
      days.push(addDays(today(), -i));
    }
    all.forEach(function (item) {
      var d = isoDay(new Date(item.record.createdAt));
      counts[d] = (counts[d] || 0) + 1;
    });
    var max = 1;
    days.forEach(function (d) {
      max = Math.max(max, counts[d] || 0);
    });
    var svg = document.createElementNS(SVG_NS, "svg");
    svg.setAttribute("viewBox", "0 0 280 100");
    svg.setAttribute("class", "spark");
    svg.setAttribute("role", "img");
    var total = 0;
    days.forEach(function (d, idx) {
      var n = counts[d] || 0;
      total += n;
      var height = n ? Math.max(6, (n / max) * 80) : 3;
      var rect = document.createElementNS(SVG_NS, "rect");
      rect.setAttribute("x", String(idx * 20 + 3));
      rect.setAttribute("y", String(90 - height));
      rect.setAttribute("width", "14");
      rect.setAttribute("height", String(height));
      rect.setAttribute("rx", "3");
      rect.setAttribute("class", n ? "col" : "col col-empty");
      var tip = document.createElementNS(SVG_NS, "title");
      tip.textContent = d + ": " + n;
      rect.appendChild(tip);
      svg.appendChild(rect);
    });
    svg.setAttribute("aria-label", total + " added in the last 14 days");
    return h("figure", { class: "card chart" }, [
      h("figcaption", { class: "card-title" }, "Added in the last 14 days"),
      svg,
      h("p", { class: "muted small" }, total + " in total")
    ]);
  }

  function dashboardPage(page) {
    var defs = allDefs();
    var all = [];
    defs.forEach(function (def) {
      records(def.name).forEach(function (r) {
        all.push({ def: def, record: r });
      });
    });
    var pageFor = function (name) {
      var found = null;
      pages().forEach(function (p) {
        if (p.kind === "list" && p.entity === name && !found) {
          found = p;
        }
      });
      return found;
    };
    var tiles = defs.map(function (def) {
      var p = pageFor(def.name);
      return h("a", { class: "tile", href: p ? "#/" + p.id : "#/" }, [
        def.icon ? art(def.icon, "tile-icon", "32", "") : null,
        h("span", { class: "tile-value" }, String(records(def.name).length)),
        h("span", { class: "tile-label" }, def.plural)
      ]);
    });
    if (has("favorites")) {
      var favs = all.filter(function (x) {
        return x.record.favorite;
      }).length;
      tiles.push(h("div", { class: "tile" }, [h("span", { class: "tile-value" }, String(favs)), h("span", { class: "tile-label" }, "Favourites")]));
    }
    var streakRows = [];
    if (has("streaks")) {
      var best = 0;
      all.forEach(function (x) {
        if (x.def.streaks) {
          var s = streakInfo(x.record.checkins);
          best = Math.max(best, s.current);
          streakRows.push({ label: titleOf(x.def, x.record), value: s.current });
        }
      });
      tiles.push(h("div", { class: "tile tile-accent" }, [
        h("span", { class: "tile-value" }, [icon("flame"), String(best)]),
        h("span", { class: "tile-label" }, "Best current streak (days)")
      ]));
    }
    var children = [
      pageHead(page.title, config.summary || ""),
      problemBanner(null),
      h("div", { class: "tiles" }, tiles)
    ];
    if (has("stats")) {
      var charts = [];
      if (defs.length > 1) {
        charts.push(barChart("Records by type", defs.map(function (def) {
          return { label: def.plural, value: records(def.name).length };
        })));
      }
      charts.push(activityChart(all));
      if (streakRows.length) {
        streakRows.sort(function (a, b) {
          return b.value - a.value;
        });
        charts.push(barChart("Current streaks", streakRows.slice(0, 6)));
      }
      defs.forEach(function (def) {
        var list = records(def.name);
        if (!list.length) {
          return;
        }
        var charted = false;
        def.fields.forEach(function (f) {
          if (f.kind === "select" && !charted) {
            charted = true;
            var rows = f.options.map(function (o) {
              return { label: o, value: list.filter(function (r) { return r.values[f.name] === o; }).length };
            });
            if (rows.length > 6) {
              rows = rows.filter(function (r) { return r.value > 0; }).sort(function (a, b) { return b.value - a.value; }).slice(0, 8);
            }
            charts.push(barChart(def.plural + " by " + lowerLabel(f.label), rows));
          }
        });
        var numbers = def.fields.filter(function (f) {
          return f.kind === "number" || f.kind === "rating";
        }).slice(0, 2);
        numbers.forEach(function (f) {
          var vals = list.map(function (r) { return r.values[f.name]; }).filter(function (n) {
            return typeof n === "number" && isFinite(n);
          });
          if (!vals.length) {
            return;
          }
          var sum = vals.reduce(function (a, b) { return a + b; }, 0);
          var avg = vals.length ? sum / vals.length : 0;
          charts.push(h("div", { class: "card stat" }, [
            h("p", { class: "card-title" }, def.plural + ": " + lowerLabel(f.label)),
            h("p", { class: "stat-value" }, f.kind === "rating" ? avg.toFixed(1) + " \u2605" : Math.round(sum * 100) / 100 + (f.unit ? " " + f.unit : "")),
            h("p", { class: "muted small" }, f.kind === "rating" ? "average of " + vals.length : "total, average " + (Math.round(avg * 100) / 100))
          ]));
        });
      });
      children.push(h("div", { class: "charts" }, charts));
    }
    var recent = all.slice().sort(function (a, b) {
      return a.record.createdAt < b.record.createdAt ? 1 : -1;
    }).slice(0, 6);
    children.push(h("section", { class: "card recent", "aria-labelledby": "recent-title" }, [
      h("h2", { class: "card-title", id: "recent-title" }, "Recently added"),
      recent.length
        ? h("ul", { class: "recent-list" }, recent.map(function (x) {
          var p = pageFor(x.def.name);
          return h("li", null, [
            h("a", { href: p ? "#/" + p.id : "#/" }, titleOf(x.def, x.record)),
            h("span", { class: "chip" }, x.def.label)
          ]);
        }))
        : h("p", { class: "muted" }, "Nothing yet. Pick a section in the menu and add your first entry.")
    ]));
    return h("section", { class: "page page-dashboard" }, children);
  }

  /* ---------- settings ---------- */

  function exportPayload() {
    var out = { app: config.name || "", namespace: config.namespace || "", version: 1, exportedAt: new Date().toISOString(), entities: {} };
    allDefs().forEach(function (def) {
      out.entities[def.name] = records(def.name);
    });
    return out;
  }

  function importPayload(text) {
    var parsed;
    try {
      parsed = JSON.parse(text);
    } catch (e) {
      return { ok: false, message: "That is not valid JSON: " + e.message };
    }
    var source = parsed && typeof parsed === "object" && parsed.entities && typeof parsed.entities === "object" ? parsed.entities : parsed;
    if (!source || typeof source !== "object" || Array.isArray(source)) {
      return { ok: false, message: "Expected an object with a list of records per section." };
    }
    var total = 0;
    var touched = 0;
    allDefs().forEach(function (def) {
      if (Array.isArray(source[def.name])) {
        var list = source[def.name].map(normalizeRecord).filter(Boolean);
        saveRecords(def.name, list);
        total += list.length;
        touched += 1;
      }
    });
    if (!touched) {
      return { ok: false, message: "None of this app's sections were found in that data." };
    }
    return { ok: true, message: "Imported " + total + " record" + (total === 1 ? "" : "s") + "." };
  }

  function settingsPage(page) {
    var cards = [];
    if (has("dark_mode")) {
      var pref = themePreference();
      var choices = [["light", "Light"], ["dark", "Dark"], ["auto", "Match my device"]].map(function (c) {
        var id = "theme-" + c[0];
        return h("div", { class: "choice" }, [
          h("input", {
            type: "radio",
            name: "theme-choice",
            id: id,
            value: c[0],
            checked: pref === c[0],
            onchange: function () {
              setTheme(c[0]);
            }
          }),
          h("label", { for: id }, c[1])
        ]);
      });
      cards.push(h("section", { class: "card", "aria-labelledby": "appearance-title" }, [
        h("h2", { class: "card-title", id: "appearance-title" }, "Appearance"),
        h("fieldset", { class: "choices" }, [h("legend", null, "Theme")].concat(choices))
      ]));
    }
    if (has("export_import")) {
      var out = h("textarea", { id: "export-data", class: "code", rows: "6", readonly: true, "aria-label": "Exported data" });
      var exportMsg = h("p", { class: "muted small", role: "status" });
      var importText = h("textarea", { id: "import-data", class: "code", rows: "6", placeholder: "Paste exported JSON here", "aria-label": "Data to import" });
      var importMsg = h("p", { class: "small", role: "status" });
      var file = h("input", {
        type: "file",
        id: "import-file",
        accept: "application/json,.json",
        onchange: function () {
          var f = file.files && file.files[0];
          if (!f || typeof FileReader === "undefined") {
            return;
          }
          var reader = new FileReader();
          reader.onload = function () {
            importText.value = String(reader.result || "");
            importMsg.textContent = "File loaded; press Import to replace your data with it.";
          };
          reader.readAsText(f);
        }
      });
      cards.push(h("section", { class: "card", "aria-labelledby": "data-title" }, [
        h("h2", { class: "card-title", id: "data-title" }, "Your data"),
        h("p", { class: "muted" }, "Export everything as JSON to keep a backup, or import a backup to restore it."),
        h("div", { class: "row" }, [
          h("button", {
            type: "button",
            class: "btn btn-primary",
            "data-testid": "export",
            onclick: function () {
              var json = JSON.stringify(exportPayload(), null, 2);
              out.value = json;
              var sandboxed = String(window.origin) === "null";
              if (!sandboxed && typeof Blob !== "undefined" && window.URL && URL.createObjectURL) {
                try {
                  var url = URL.createObjectURL(new Blob([json], { type: "application/json" }));
                  var a = h("a", { href: url, download: (config.namespace || "app") + "-export.json" });
                  document.body.appendChild(a);
                  a.click();
                  document.body.removeChild(a);
                  setTimeout(function () {
                    URL.revokeObjectURL(url);
                  }, 1000);
                  exportMsg.textContent = "Downloaded. The same data is shown below.";
                } catch (e) {
                  exportMsg.textContent = "Copy the data below to keep it.";
                }
              } else {
                exportMsg.textContent = "Downloads are not available here; copy the data below to keep it.";
              }
            }
          }, "Export JSON")
        ]),
        exportMsg,
        out,
        h("h3", { class: "sub-title" }, "Import"),
        h("label", { for: "import-file", class: "file-label" }, "Choose a JSON file"),
        file,
        importText,
        h("div", { class: "row" }, [
          h("button", {
            type: "button",
            class: "btn btn-soft",
            "data-testid": "import",
            onclick: function () {
              var result = importPayload(importText.value);
              importMsg.textContent = result.message;
              importMsg.className = "small " + (result.ok ? "ok" : "error-text");
              if (result.ok) {
                toast(result.message);
              }
            }
          }, "Import")
        ]),
        importMsg
      ]));
    }
    var resetArea = h("div", { class: "reset-area" });
    function renderReset(confirming) {
      clear(resetArea);
      if (!confirming) {
        resetArea.appendChild(h("button", {
          type: "button",
          class: "btn btn-ghost btn-danger-text",
          "data-testid": "reset",
          onclick: function () {
            renderReset(true);
            var c = resetArea.querySelector("[data-testid=confirm-reset]");
            if (c) {
              c.focus();
            }
          }
        }, [icon("trash"), "Delete all data"]));
        return;
      }
      resetArea.appendChild(h("div", { class: "confirm", role: "group", "aria-label": "Confirm deleting all data" }, [
        h("p", null, "Delete every record in this app? This cannot be undone."),
        h("div", { class: "confirm-actions" }, [
          h("button", {
            type: "button",
            class: "btn btn-danger btn-small",
            "data-testid": "confirm-reset",
            onclick: function () {
              allDefs().forEach(function (def) {
                saveRecords(def.name, []);
              });
              renderReset(false);
              toast("All data deleted");
            }
          }, "Yes, delete everything"),
          h("button", {
            type: "button",
            class: "btn btn-ghost btn-small",
            onclick: function () {
              renderReset(false);
            }
          }, "Cancel")
        ])
      ]));
    }
    renderReset(false);
    cards.push(h("section", { class: "card", "aria-labelledby": "storage-title" }, [
      h("h2", { class: "card-title", id: "storage-title" }, "Storage"),
      h("p", { class: "muted" }, store.persistent()
        ? "Everything is saved in this browser only."
        : "This preview cannot use browser storage, so changes last until you reload."),
      resetArea
    ]));
    return h("section", { class: "page page-settings" }, [pageHead(page.title, "Preferences and data"), h("div", { class: "stack" }, cards)]);
  }

  /* ---------- about ---------- */

  function aboutPage(page) {
    var defs = allDefs();
    return h("section", { class: "page page-about" }, [
      pageHead(page.title, null),
      h("div", { class: "card about-card" }, [
        art("assets/logo.svg", "about-logo", "72", (config.name || "App") + " logo"),
        h("div", null, [h("h2", { class: "card-title" }, config.name || "App"), h("p", null, config.summary || "")])
      ]),
      features.length ? h("section", { class: "card", "aria-labelledby": "features-title" }, [
        h("h2", { class: "card-title", id: "features-title" }, "Features"),
        h("ul", { class: "feature-list" }, features.map(function (f) {
          return h("li", null, [icon("check"), FEATURE_NAMES[f] || f]);
        }))
      ]) : null,
      h("section", { class: "card", "aria-labelledby": "data-model-title" }, [
        h("h2", { class: "card-title", id: "data-model-title" }, "What you can keep here"),
        h("dl", { class: "model" }, defs.map(function (def) {
          return [h("dt", null, def.plural), h("dd", null, def.fields.map(function (f) {
            return f.label;
          }).join(", "))];
        }))
      ]),
      h("p", { class: "muted small" }, "Made with Nexus Forge. Works offline; nothing leaves this device.")
    ]);
  }

  /* ---------- views: board, calendar, timer, study, chart, checklist ---------- */
  /*
   * A view page shows one entity's records (page.entity) another way than its list, with
   * the fields page.view names (see AppSpec's ViewSpec). Views read and write records
   * through the same store as the list pages, so a change in one shows in the other. Each
   * view is keyboard-operable and fits a phone's width; all text goes in with textContent.
   */

  var VIEW_RENDERERS = {
    board: boardPage,
    calendar: calendarPage,
    timer: timerPage,
    study: studyPage,
    chart: chartPage,
    checklist: checklistPage
  };
  var VIEW_ICONS = {
    left: "M15 5l-7 7 7 7",
    right: "M9 5l7 7-7 7",
    up: "M5 15l7-7 7 7",
    down: "M5 9l7 7 7-7",
    play: "M7 4.5v15l12-7.5z",
    pause: "M8 5v14M16 5v14",
    stop: "M6 6h12v12H6z",
    reset: "M4 12a8 8 0 1 0 2.3-5.6M4 4v4h4"
  };
  var TEXTLIKE = ["text", "long_text", "number", "select", "email", "url"];
  var dragging = null;

  function viewIcon(name) {
    if (!ICONS[name] && VIEW_ICONS[name]) {
      ICONS[name] = VIEW_ICONS[name];
    }
    return icon(name);
  }

  function viewState(page, defaults) {
    var key = "view:" + page.id;
    if (!ui[key]) {
      ui[key] = defaults;
    }
    return ui[key];
  }

  /* The field of def called name, when its kind is one of kinds. */
  function viewField(def, name, kinds) {
    var found = null;
    def.fields.forEach(function (f) {
      if (f.name === name && kinds.indexOf(f.kind) !== -1) {
        found = f;
      }
    });
    return found;
  }

  function listPageOf(name) {
    var found = null;
    pages().forEach(function (p) {
      if (!found && p.kind === "list" && p.entity === name) {
        found = p;
      }
    });
    return found;
  }

  function addRecord(def, values, atEnd) {
    var now = new Date().toISOString();
    var rec = { id: uid(), createdAt: now, updatedAt: now, values: values, tags: [], favorite: false, checkins: [] };
    var list = records(def.name).slice();
    if (atEnd) {
      list.push(rec);
    } else {
      list.unshift(rec);
    }
    saveRecords(def.name, list);
    return rec;
  }

  function setValue(def, id, field, value) {
    updateRecord(def, id, function (rec) {
      rec.values[field] = value;
    });
  }

  function recordById(def, id) {
    var found = null;
    records(def.name).forEach(function (r) {
      if (r.id === id) {
        found = r;
      }
    });
    return found;
  }

  /* After a re-render, focus the element that carries data-focus=key (if any). */
  function refocus(root, key) {
    if (!key) {
      return;
    }
    var all = root.querySelectorAll("[data-focus]");
    for (var i = 0; i < all.length; i++) {
      if (all[i].getAttribute("data-focus") === key) {
        all[i].focus();
        return;
      }
    }
  }

  /* Makes a card or an item draggable by mouse; the record id travels in `dragging`. */
  function draggable(el, id) {
    el.setAttribute("draggable", "true");
    el.addEventListener("dragstart", function (e) {
      dragging = id;
      el.classList.add("dragging");
      if (e.dataTransfer) {
        e.dataTransfer.effectAllowed = "move";
        try {
          e.dataTransfer.setData("text/plain", id);
        } catch (err) {
          /* Some browsers refuse custom data; the id is kept in `dragging`. */
        }
      }
    });
    el.addEventListener("dragend", function () {
      dragging = null;
      el.classList.remove("dragging");
    });
  }

  /* Short plain values of a record for a card: its card fields, or its first few. */
  function cardMeta(def, r, skip) {
    var out = [];
    def.fields.slice(1).forEach(function (f) {
      var v = r.values[f.name];
      if (out.length >= 3 || skip.indexOf(f.name) !== -1 || f.kind === "long_text" || f.kind === "boolean" || isEmpty(v)) {
        return;
      }
      if (def.cardFields && def.cardFields.indexOf(f.name) === -1) {
        return;
      }
      out.push(h("span", { class: "chip view-chip", title: f.label }, formatPlain(f, v)));
    });
    return out.length ? h("div", { class: "view-meta" }, out) : null;
  }

  function viewHead(page, def, sub) {
    var list = listPageOf(def.name);
    return h("div", { class: "page-head" }, [
      h("div", { class: "page-titles" }, [
        h("h1", { class: "page-title", id: "title-" + page.id }, [
          page.icon || def.icon ? art(page.icon || def.icon, "title-icon", "28", "") : null,
          page.title || def.plural
        ]),
        sub
      ]),
      list ? h("a", { class: "btn btn-ghost", href: "#/" + list.id }, /list$/i.test(def.plural) ? def.plural : "All " + lowerLabel(def.plural)) : null
    ]);
  }

  function viewPage(page) {
    var def = entityDef(page.entity);
    var cfg = page.view && typeof page.view === "object" ? page.view : {};
    if (!def) {
      return h("section", { class: "page" }, [pageHead(page.title, "This part of the app could not be loaded.")]);
    }
    var section = VIEW_RENDERERS[page.kind](page, def, cfg);
    section.classList.add("page", "page-view", "page-" + page.kind);
    section.setAttribute("aria-labelledby", "title-" + page.id);
    section.setAttribute("data-testid", "view-" + page.kind);
    return section;
  }

  function viewMissing(page, def, what) {
    return h("section", null, [
      viewHead(page, def, null),
      h("div", { class: "banner", role: "note" }, "This " + page.kind + " needs " + what + " of " + lowerLabel(def.plural) + ", which this app does not have.")
    ]);
  }

  /*
   * A compact form that adds a record from a view: the title field, the fields in
   * opts.fields, and every other required field; opts.preset fills values without asking
   * (unless the field is also in opts.fields, where it is the starting value).
   */
  function quickForm(def, opts) {
    var preset = opts.preset || {};
    var wanted = [def.fields[0].name].concat(opts.fields || []);
    var shown = def.fields.filter(function (f) {
      if (wanted.indexOf(f.name) !== -1) {
        return true;
      }
      return f.required && !Object.prototype.hasOwnProperty.call(preset, f.name);
    });
    var prefix = "q-" + opts.id;
    var boxes = shown.map(function (f) {
      var inputId = prefix + "-" + f.name;
      var errId = inputId + "-err";
      var value = Object.prototype.hasOwnProperty.call(preset, f.name) ? preset[f.name] : "";
      if (f.kind === "rating") {
        return ratingInput(f, value, inputId, errId);
      }
      var input = fieldInput(def, f, value, inputId, errId);
      var label = h("label", { for: inputId }, [f.label, f.required ? h("span", { class: "req", "aria-hidden": "true" }, " *") : null]);
      return h("div", { class: "field field-" + f.kind, "data-field": f.name, "data-kind": f.kind },
        f.kind === "boolean"
          ? [h("div", { class: "check-row" }, [input, label]), h("p", { class: "field-error", id: errId, hidden: true })]
          : [label, input, h("p", { class: "field-error", id: errId, hidden: true })]);
    });
    var message = h("p", { class: "field-error", role: "alert", hidden: true });
    var form = h("form", {
      class: "quick-form" + (opts.compact ? " quick-compact" : ""),
      "data-testid": "view-form",
      "aria-label": opts.label || "New " + lowerLabel(def.label),
      novalidate: true,
      onsubmit: function (e) {
        e.preventDefault();
        var values = {};
        var errors = {};
        def.fields.forEach(function (f) {
          var visible = shown.indexOf(f) !== -1;
          if (visible) {
            values[f.name] = readValue(form, f);
          } else if (Object.prototype.hasOwnProperty.call(preset, f.name)) {
            values[f.name] = preset[f.name];
          } else {
            values[f.name] = f.kind === "boolean" ? false : "";
          }
          var msg = visible ? checkValue(f, values[f.name]) : "";
          if (msg) {
            errors[f.name] = msg;
          }
        });
        moduleErrors(def, values, null, errors);
        var first = null;
        var hidden = [];
        Object.keys(errors).forEach(function (k) {
          var box = form.querySelector("[data-field=\"" + k + "\"]");
          if (!box) {
            hidden.push(errors[k]);
            return;
          }
          box.classList.add("invalid");
          var err = box.querySelector(".field-error");
          if (err) {
            err.textContent = errors[k];
            err.hidden = false;
          }
          var control = box.querySelector("input, select, textarea");
          if (control) {
            control.setAttribute("aria-invalid", "true");
            first = first || control;
          }
        });
        message.textContent = hidden.join(" ");
        message.hidden = !hidden.length;
        if (first || hidden.length) {
          if (first) {
            first.focus();
          }
          return;
        }
        var rec = addRecord(def, values, !!opts.atEnd);
        toast(def.label + " saved");
        if (opts.onSaved) {
          opts.onSaved(rec);
        }
      }
    }, [
      h("div", { class: "quick-fields" }, boxes),
      message,
      h("div", { class: "quick-actions" }, [
        h("button", { type: "submit", class: "btn btn-primary", "data-testid": "view-save" }, [viewIcon("plus"), opts.submit || "Add"]),
        opts.onCancel ? h("button", { type: "button", class: "btn btn-ghost", onclick: opts.onCancel }, "Cancel") : null
      ])
    ]);
    form.addEventListener("input", function (e) {
      var box = e.target && e.target.closest ? e.target.closest("[data-field]") : null;
      if (box && box.classList.contains("invalid")) {
        box.classList.remove("invalid");
        var err = box.querySelector(".field-error");
        if (err) {
          err.hidden = true;
        }
      }
    });
    return form;
  }

  function focusFirst(el) {
    var input = el && el.querySelector("input:not([type=hidden]), select, textarea");
    if (input) {
      input.focus();
    }
  }

  /* ---------- board ---------- */

  function boardPage(page, def, cfg) {
    var field = viewField(def, cfg.column_field, ["select"]);
    if (!field) {
      return viewMissing(page, def, "a choice field for its columns");
    }
    var st = viewState(page, { adding: null, focus: null });
    var sub = h("p", { class: "page-sub" });
    var board = h("div", { class: "board", "data-testid": "board" });
    var live = h("p", { class: "sr-only", role: "status", "aria-live": "polite" });

    function columns() {
      var cols = field.options.map(function (o) {
        return { value: o, label: o };
      });
      var stray = records(def.name).some(function (r) {
        return field.options.indexOf(String(r.values[field.name] || "")) === -1;
      });
      if (stray) {
        cols.unshift({ value: "", label: "No " + lowerLabel(field.label) });
      }
      return cols;
    }

    function columnOf(r) {
      var v = String(r.values[field.name] || "");
      return field.options.indexOf(v) === -1 ? "" : v;
    }

    function move(id, col) {
      var rec = recordById(def, id);
      if (!rec || columnOf(rec) === col.value) {
        return;
      }
      setValue(def, id, field.name, col.value);
      st.focus = "card:" + id;
      render();
      var message = titleOf(def, rec) + " moved to " + col.label;
      live.textContent = message;
      toast(message);
    }

    function moveButton(r, title, col, side) {
      return h("button", {
        type: "button",
        class: "icon-btn",
        "data-testid": "move-" + side,
        "data-focus": side + ":" + r.id,
        "aria-label": "Move " + title + " to " + col.label,
        title: "Move to " + col.label,
        onclick: function () {
          move(r.id, col);
          refocus(board, side + ":" + r.id);
        }
      }, viewIcon(side));
    }

    function card(r, cols, ci) {
      var title = titleOf(def, r);
      var prev = cols[ci - 1];
      var next = cols[ci + 1];
      var el = h("li", {
        class: "board-card",
        "data-testid": "board-card",
        "data-id": r.id,
        "data-focus": "card:" + r.id,
        tabindex: "0",
        "aria-label": title + ", " + cols[ci].label + (prev || next ? ". Left and right arrow keys move it." : "")
      }, [
        h("h3", { class: "board-card-title" }, title),
        cardMeta(def, r, [field.name]),
        h("div", { class: "board-moves" }, [
          prev ? moveButton(r, title, prev, "left") : null,
          next ? moveButton(r, title, next, "right") : null
        ])
      ]);
      draggable(el, r.id);
      el.addEventListener("keydown", function (e) {
        if (e.target !== el || e.altKey || e.ctrlKey || e.metaKey) {
          return;
        }
        if (e.key === "ArrowLeft" && prev) {
          e.preventDefault();
          move(r.id, prev);
        } else if (e.key === "ArrowRight" && next) {
          e.preventDefault();
          move(r.id, next);
        } else if (e.key === "ArrowDown" || e.key === "ArrowUp") {
          var sibling = e.key === "ArrowDown" ? el.nextElementSibling : el.previousElementSibling;
          if (sibling && sibling.classList.contains("board-card")) {
            e.preventDefault();
            sibling.focus();
          }
        }
      });
      return el;
    }

    function render() {
      var all = records(def.name);
      var cols = columns();
      sub.textContent = countText(all.length, def) + " in " + cols.length + " columns";
      clear(board);
      cols.forEach(function (col, ci) {
        var headingId = "col-" + page.id + "-" + ci;
        var cards = all.filter(function (r) {
          return columnOf(r) === col.value;
        });
        var list = h("ul", { class: "board-cards", "aria-labelledby": headingId }, cards.map(function (r) {
          return card(r, cols, ci);
        }));
        var add = null;
        if (st.adding === col.value) {
          var preset = {};
          preset[field.name] = col.value;
          add = quickForm(def, {
            id: page.id + "-" + ci,
            preset: preset,
            label: "New " + lowerLabel(def.label) + " in " + col.label,
            onSaved: function (rec) {
              st.adding = null;
              st.focus = "card:" + rec.id;
              render();
            },
            onCancel: function () {
              st.adding = null;
              st.focus = "add:" + ci;
              render();
            }
          });
        } else {
          add = h("button", {
            type: "button",
            class: "btn btn-ghost btn-small board-add",
            "data-testid": "board-add",
            "data-focus": "add:" + ci,
            onclick: function () {
              st.adding = col.value;
              render();
              focusFirst(board.querySelector(".quick-form"));
            }
          }, [viewIcon("plus"), "Add " + lowerLabel(def.label)]);
        }
        var column = h("section", { class: "board-col", "data-testid": "board-column", "data-column": col.value, "aria-labelledby": headingId }, [
          h("header", { class: "board-col-head" }, [
            h("h2", { class: "board-col-title", id: headingId }, col.label),
            h("span", { class: "board-count", "data-testid": "column-count", "aria-label": countText(cards.length, def) }, String(cards.length))
          ]),
          list,
          cards.length ? null : h("p", { class: "board-empty muted small" }, "Nothing here yet"),
          add
        ]);
        column.addEventListener("dragover", function (e) {
          if (!dragging) {
            return;
          }
          e.preventDefault();
          if (e.dataTransfer) {
            e.dataTransfer.dropEffect = "move";
          }
          column.classList.add("drop-target");
        });
        column.addEventListener("dragleave", function (e) {
          if (!e.relatedTarget || !column.contains(e.relatedTarget)) {
            column.classList.remove("drop-target");
          }
        });
        column.addEventListener("drop", function (e) {
          e.preventDefault();
          column.classList.remove("drop-target");
          var id = dragging;
          if (!id && e.dataTransfer) {
            id = e.dataTransfer.getData("text/plain");
          }
          dragging = null;
          if (id) {
            move(id, col);
          }
        });
        board.appendChild(column);
      });
      refocus(board, st.focus);
      st.focus = null;
    }

    render();
    return h("section", null, [
      problemBanner(def.name),
      viewHead(page, def, sub),
      h("p", { class: "muted small view-help" }, "Drag cards between columns, or focus a card and use the arrow keys."),
      live,
      board
    ]);
  }

  /* ---------- calendar ---------- */

  function weekStart(day) {
    var d = parseDay(day);
    var back = d ? (d.getDay() + 6) % 7 : 0;
    return addDays(day, -back);
  }

  function monthOf(day) {
    return String(day).slice(0, 7);
  }

  function dayLabel(day, opts) {
    var d = parseDay(day);
    return d ? d.toLocaleDateString(undefined, opts) : String(day);
  }

  function calendarPage(page, def, cfg) {
    var dateF = viewField(def, cfg.date_field, ["date"]);
    if (!dateF) {
      return viewMissing(page, def, "a date field");
    }
    var endF = viewField(def, cfg.end_field, ["date"]);
    var st = viewState(page, { mode: "month", cursor: today(), selected: null, focusGrid: false });
    var title = h("h2", { class: "cal-title", id: "cal-title-" + page.id, "data-testid": "cal-title", "aria-live": "polite" });
    var grid = h("div", { class: "cal-grid", role: "grid", "aria-labelledby": "cal-title-" + page.id, "data-testid": "calendar" });
    var panel = h("section", { class: "card cal-panel", "aria-live": "polite" });
    var sub = h("p", { class: "page-sub" });
    var modeButtons = {};

    function span(r) {
      var start = String(r.values[dateF.name] || "");
      if (!parseDay(start)) {
        return null;
      }
      var end = endF ? String(r.values[endF.name] || "") : "";
      if (!parseDay(end) || end < start) {
        end = start;
      }
      return { start: start, end: end };
    }

    function byDay(from, to) {
      var out = Object.create(null);
      records(def.name).forEach(function (r) {
        var s = span(r);
        if (!s || s.end < from || s.start > to) {
          return;
        }
        var day = s.start < from ? from : s.start;
        for (var n = 0; day <= s.end && day <= to && n < 400; n++) {
          (out[day] = out[day] || []).push(r);
          day = addDays(day, 1);
        }
      });
      return out;
    }

    function visible() {
      if (st.mode === "week") {
        var ws = weekStart(st.cursor);
        return { from: ws, to: addDays(ws, 6) };
      }
      var first = monthOf(st.cursor) + "-01";
      var from = weekStart(first);
      var last = addDays(monthOf(addDays(first, 32)) + "-01", -1);
      var to = addDays(weekStart(last), 6);
      return { from: from, to: to };
    }

    function go(day, focus) {
      if (!parseDay(day)) {
        return;
      }
      st.cursor = day;
      st.focusGrid = !!focus;
      render();
    }

    function select(day) {
      st.selected = day;
      st.cursor = day;
      st.focusGrid = true;
      render();
    }

    function onKey(e) {
      var moves = { ArrowLeft: -1, ArrowRight: 1, ArrowUp: -7, ArrowDown: 7 };
      var day = st.cursor;
      if (moves[e.key] !== undefined) {
        day = addDays(day, moves[e.key]);
      } else if (e.key === "Home") {
        day = weekStart(day);
      } else if (e.key === "End") {
        day = addDays(weekStart(day), 6);
      } else if (e.key === "PageUp" || e.key === "PageDown") {
        var d = parseDay(day);
        d.setMonth(d.getMonth() + (e.key === "PageUp" ? -1 : 1));
        day = isoDay(d);
      } else if (e.key === "Enter" || e.key === " ") {
        e.preventDefault();
        select(st.cursor);
        return;
      } else {
        return;
      }
      e.preventDefault();
      go(day, true);
    }

    function cell(day, items, inMonth) {
      var isToday = day === today();
      var selected = day === st.selected;
      var names = items.map(function (r) {
        return titleOf(def, r);
      });
      var label = dayLabel(day, { weekday: "long", day: "numeric", month: "long", year: "numeric" }) +
        (items.length ? ", " + countText(items.length, def) + ": " + names.join(", ") : "");
      var shownItems = st.mode === "week" ? items : items.slice(0, 3);
      var el = h("div", {
        class: "cal-day" + (inMonth ? "" : " cal-out") + (isToday ? " cal-today" : "") + (selected ? " cal-selected" : ""),
        role: "gridcell",
        tabindex: day === st.cursor ? "0" : "-1",
        "aria-selected": selected ? "true" : "false",
        "aria-current": isToday ? "date" : null,
        "aria-label": label,
        "data-testid": "cal-day",
        "data-day": day,
        "data-focus": "day:" + day,
        onclick: function () {
          select(day);
        },
        onkeydown: onKey
      }, [
        h("span", { class: "cal-num", "aria-hidden": "true" }, st.mode === "week"
          ? dayLabel(day, { weekday: "short", day: "numeric" })
          : String(Number(day.slice(8)))),
        h("span", { class: "cal-items", "aria-hidden": "true" }, shownItems.map(function (r) {
          return h("span", { class: "cal-item", "data-testid": "cal-item", title: titleOf(def, r) }, titleOf(def, r));
        }).concat(items.length > shownItems.length ? [h("span", { class: "cal-more" }, "+" + (items.length - shownItems.length))] : []))
      ]);
      return el;
    }

    function renderPanel(index) {
      clear(panel);
      var day = st.selected;
      if (!day) {
        panel.appendChild(h("p", { class: "muted" }, "Choose a day to see its " + lowerLabel(def.plural) + " or add one."));
        return;
      }
      var items = index[day] || byDay(day, day)[day] || [];
      var preset = {};
      preset[dateF.name] = day;
      panel.appendChild(h("h2", { class: "card-title", "data-testid": "cal-selected" }, dayLabel(day, { weekday: "long", day: "numeric", month: "long", year: "numeric" })));
      panel.appendChild(items.length
        ? h("ul", { class: "cal-list" }, items.map(function (r) {
          var s = span(r);
          return h("li", { "data-testid": "cal-record" }, [
            h("strong", null, titleOf(def, r)),
            s && s.end !== s.start ? h("span", { class: "muted small" }, " " + formatDate(s.start) + " \u2013 " + formatDate(s.end)) : null,
            cardMeta(def, r, [dateF.name].concat(endF ? [endF.name] : []))
          ]);
        }))
        : h("p", { class: "muted" }, "Nothing on this day."));
      panel.appendChild(h("h3", { class: "sub-title" }, "Add on this day"));
      panel.appendChild(quickForm(def, {
        id: page.id + "-day",
        preset: preset,
        label: "New " + lowerLabel(def.label) + " on " + formatDate(day),
        onSaved: function () {
          st.focusGrid = true;
          render();
        }
      }));
    }

    function render() {
      var range = visible();
      var index = byDay(range.from, range.to);
      var month = monthOf(st.cursor);
      title.textContent = st.mode === "week"
        ? formatDate(range.from) + " \u2013 " + formatDate(range.to)
        : dayLabel(month + "-01", { month: "long", year: "numeric" });
      Object.keys(modeButtons).forEach(function (m) {
        modeButtons[m].setAttribute("aria-pressed", m === st.mode ? "true" : "false");
      });
      var total = 0;
      records(def.name).forEach(function (r) {
        total += span(r) ? 1 : 0;
      });
      sub.textContent = countText(total, def) + " on the calendar";
      clear(grid);
      grid.className = "cal-grid cal-" + st.mode;
      var head = h("div", { class: "cal-row cal-head", role: "row" });
      for (var i = 0; i < 7; i++) {
        var wd = addDays(range.from, i);
        head.appendChild(h("span", { class: "cal-wd", role: "columnheader", "aria-label": dayLabel(wd, { weekday: "long" }) },
          dayLabel(wd, { weekday: "short" })));
      }
      grid.appendChild(head);
      var day = range.from;
      while (day <= range.to) {
        var row = h("div", { class: "cal-row", role: "row" });
        for (var k = 0; k < 7; k++) {
          row.appendChild(cell(day, index[day] || [], st.mode === "week" || monthOf(day) === month));
          day = addDays(day, 1);
        }
        grid.appendChild(row);
      }
      renderPanel(index);
      if (st.focusGrid) {
        refocus(grid, "day:" + st.cursor);
        st.focusGrid = false;
      }
    }

    function step(n) {
      var d = parseDay(st.cursor);
      if (st.mode === "week") {
        d.setDate(d.getDate() + 7 * n);
      } else {
        d.setDate(1);
        d.setMonth(d.getMonth() + n);
      }
      go(isoDay(d), false);
    }

    ["month", "week"].forEach(function (m) {
      modeButtons[m] = h("button", {
        type: "button",
        class: "btn btn-ghost btn-small",
        "data-testid": "cal-" + m,
        "aria-pressed": "false",
        onclick: function () {
          st.mode = m;
          render();
        }
      }, m === "month" ? "Month" : "Week");
    });
    var toolbar = h("div", { class: "cal-toolbar" }, [
      h("div", { class: "cal-nav" }, [
        h("button", { type: "button", class: "icon-btn", "data-testid": "cal-prev", "aria-label": "Previous", title: "Previous", onclick: function () { step(-1); } }, viewIcon("left")),
        title,
        h("button", { type: "button", class: "icon-btn", "data-testid": "cal-next", "aria-label": "Next", title: "Next", onclick: function () { step(1); } }, viewIcon("right"))
      ]),
      h("div", { class: "cal-modes", role: "group", "aria-label": "View" }, [
        h("button", { type: "button", class: "btn btn-ghost btn-small", "data-testid": "cal-today", onclick: function () { go(today(), true); } }, "Today"),
        modeButtons.month,
        modeButtons.week
      ])
    ]);
    render();
    return h("section", null, [
      problemBanner(def.name),
      viewHead(page, def, sub),
      h("div", { class: "cal-layout" }, [
        h("div", { class: "card cal-card" }, [
          toolbar,
          grid,
          h("p", { class: "muted small view-help" }, "Arrow keys move between days; Enter opens a day.")
        ]),
        panel
      ])
    ]);
  }

  /* ---------- timer ---------- */

  var timers = Object.create(null);
  var timerViews = [];
  var timerTick = null;

  function clock(ms) {
    var total = Math.max(0, Math.round(ms / 1000));
    var hours = Math.floor(total / 3600);
    var minutes = Math.floor((total % 3600) / 60);
    var seconds = total % 60;
    return (hours ? hours + ":" + pad(minutes) : pad(minutes)) + ":" + pad(seconds);
  }

  function timerElapsed(t) {
    return t.elapsed + (t.running ? Date.now() - t.startedAt : 0);
  }

  /* Forgets the timer pages that are no longer on screen. */
  function pruneTimerViews() {
    timerViews = timerViews.filter(function (v) {
      return document.body.contains(v.el);
    });
  }

  function startTicking() {
    if (!timerTick) {
      timerTick = setInterval(tickTimers, 200);
    }
  }

  function tickTimers() {
    var running = false;
    Object.keys(timers).forEach(function (id) {
      var t = timers[id];
      if (!t.running) {
        return;
      }
      if (t.mode === "countdown" && timerElapsed(t) >= t.target) {
        finishTimer(t, true);
      } else {
        running = true;
      }
    });
    pruneTimerViews();
    timerViews.forEach(function (v) {
      v.update();
    });
    if (!running && timerTick) {
      clearInterval(timerTick);
      timerTick = null;
    }
  }

  /* Saves the session as a record (label, day, start time, minutes) and resets the timer. */
  function finishTimer(t, completed) {
    var ms = t.mode === "countdown" && completed ? t.target : timerElapsed(t);
    var def = entityDef(t.entity);
    t.running = false;
    t.elapsed = 0;
    if (!def || ms < 1000) {
      t.message = "Nothing to save yet.";
      return;
    }
    var values = {};
    def.fields.forEach(function (f) {
      values[f.name] = f.kind === "boolean" ? false : "";
    });
    var c = t.cfg;
    var labelF = viewField(def, c.label_field, ["text", "long_text", "select"]);
    var durF = viewField(def, c.duration_field, ["number"]);
    var dayF = viewField(def, c.date_field, ["date"]);
    var timeF = viewField(def, c.time_field, ["text"]);
    if (labelF) {
      var label = t.label || def.label;
      values[labelF.name] = labelF.kind === "select" && labelF.options.indexOf(label) === -1 ? (labelF.options[0] || "") : label;
    }
    if (durF) {
      values[durF.name] = Math.max(0.01, Math.round(ms / 600) / 100);
    }
    if (dayF) {
      values[dayF.name] = t.day || today();
    }
    if (timeF) {
      values[timeF.name] = t.time;
    }
    addRecord(def, values, false);
    t.message = (completed ? "Time is up. " : "") + "Saved " + clock(ms) + (t.label ? " of " + t.label : "") + ".";
    toast(t.message);
  }

  function timerPage(page, def, cfg) {
    var labelF = viewField(def, cfg.label_field, ["text", "long_text", "select"]);
    var durF = viewField(def, cfg.duration_field, ["number"]);
    if (!labelF || !durF) {
      return viewMissing(page, def, "a label and a minutes field");
    }
    var mode = cfg.timer === "stopwatch" ? "stopwatch" : "countdown";
    var minutes = Math.max(1, Math.min(600, Number(cfg.minutes) || 25));
    if (!timers[page.id]) {
      timers[page.id] = {
        entity: def.name, cfg: cfg, mode: mode, running: false, startedAt: 0, elapsed: 0,
        target: minutes * 60000, label: "", day: "", time: "", message: ""
      };
    }
    var t = timers[page.id];
    var display = h("p", { class: "timer-display", role: "timer", "aria-live": "off", "data-testid": "timer-display" });
    var status = h("p", { class: "timer-status", role: "status", "aria-live": "polite", "data-testid": "timer-status" });
    var labelInput = h("input", {
      type: "text",
      id: "timer-label-" + page.id,
      class: "timer-label",
      "data-testid": "timer-label",
      maxlength: "300",
      autocomplete: "off",
      placeholder: "e.g. Writing",
      value: t.label,
      oninput: function (e) {
        t.label = String(e.target.value || "").trim();
      }
    });
    var minInput = h("input", {
      type: "number", id: "timer-min-" + page.id, min: "0", max: "600", step: "1", inputmode: "numeric",
      "data-testid": "timer-minutes", value: String(Math.floor(t.target / 60000)),
      oninput: readLength
    });
    var secInput = h("input", {
      type: "number", id: "timer-sec-" + page.id, min: "0", max: "59", step: "1", inputmode: "numeric",
      "data-testid": "timer-seconds", value: String(Math.floor((t.target % 60000) / 1000)),
      oninput: readLength
    });
    var startBtn = h("button", { type: "button", class: "btn btn-primary", "data-testid": "timer-start", onclick: startOrPause });
    var finishBtn = h("button", {
      type: "button", class: "btn btn-soft", "data-testid": "timer-finish",
      onclick: function () {
        finishTimer(t, false);
        update();
        renderLog();
        startBtn.focus();
      }
    }, [viewIcon("stop"), "Finish and save"]);
    var resetBtn = h("button", {
      type: "button", class: "btn btn-ghost", "data-testid": "timer-reset",
      onclick: function () {
        t.running = false;
        t.elapsed = 0;
        t.message = "Timer reset.";
        update();
        startBtn.focus();
      }
    }, [viewIcon("reset"), "Reset"]);
    var log = h("ul", { class: "timer-log", "data-testid": "timer-log" });
    var summary = h("p", { class: "muted small" });
    var presets = [];
    [minutes, 5, 15].forEach(function (m) {
      if (presets.indexOf(m) === -1) {
        presets.push(m);
      }
    });
    var lengthBox = mode === "countdown" ? h("fieldset", { class: "timer-length" }, [
      h("legend", null, "Length"),
      h("div", { class: "timer-inputs" }, [
        h("label", { for: "timer-min-" + page.id }, "Minutes"), minInput,
        h("label", { for: "timer-sec-" + page.id }, "Seconds"), secInput
      ]),
      h("div", { class: "timer-presets" }, presets.map(function (m) {
        return h("button", {
          type: "button",
          class: "chip",
          onclick: function () {
            if (t.running || t.elapsed) {
              return;
            }
            t.target = m * 60000;
            minInput.value = String(m);
            secInput.value = "0";
            update();
          }
        }, m + " min");
      }))
    ]) : null;

    function readLength() {
      if (t.running || t.elapsed) {
        return;
      }
      var m = Math.max(0, Math.min(600, Math.floor(Number(minInput.value) || 0)));
      var s = Math.max(0, Math.min(59, Math.floor(Number(secInput.value) || 0)));
      t.target = Math.max(1000, (m * 60 + s) * 1000);
      update();
    }

    function startOrPause() {
      if (t.running) {
        t.elapsed = timerElapsed(t);
        t.running = false;
        t.message = "Paused.";
      } else {
        if (!t.elapsed) {
          var now = new Date();
          t.day = isoDay(now);
          t.time = pad(now.getHours()) + ":" + pad(now.getMinutes());
          t.label = String(labelInput.value || "").trim();
        }
        t.startedAt = Date.now();
        t.running = true;
        t.message = t.elapsed ? "Resumed." : "Started.";
        startTicking();
      }
      update();
    }

    function update() {
      var elapsed = timerElapsed(t);
      var shown = t.mode === "countdown" ? Math.max(0, t.target - elapsed) : elapsed;
      display.textContent = clock(shown);
      display.classList.toggle("running", t.running);
      var idle = !t.running && !t.elapsed;
      clear(startBtn);
      append(startBtn, t.running ? [viewIcon("pause"), "Pause"] : [viewIcon("play"), idle ? "Start" : "Resume"]);
      startBtn.setAttribute("aria-pressed", t.running ? "true" : "false");
      finishBtn.disabled = idle;
      resetBtn.disabled = idle;
      minInput.disabled = !idle;
      secInput.disabled = !idle;
      if (status.textContent !== t.message) {
        status.textContent = t.message;
      }
      if (t.running && document.body.contains(display)) {
        document.title = clock(shown) + " \u00b7 " + page.title + " \u00b7 " + (config.name || "App");
      } else if (document.body.contains(display)) {
        document.title = page.title + " \u00b7 " + (config.name || "App");
      }
      var count = records(def.name).length;
      if (count !== logCount) {
        renderLog();
      }
    }

    var logCount = -1;
    function renderLog() {
      var dayF = viewField(def, cfg.date_field, ["date"]);
      var timeF = viewField(def, cfg.time_field, ["text"]);
      var list = records(def.name).slice().sort(function (a, b) {
        var ka = (dayF ? String(a.values[dayF.name] || "") : "") + (timeF ? String(a.values[timeF.name] || "") : "") + a.createdAt;
        var kb = (dayF ? String(b.values[dayF.name] || "") : "") + (timeF ? String(b.values[timeF.name] || "") : "") + b.createdAt;
        return ka < kb ? 1 : ka > kb ? -1 : 0;
      });
      logCount = list.length;
      clear(log);
      var todayMinutes = 0;
      var todayCount = 0;
      list.forEach(function (r) {
        var mins = Number(r.values[durF.name]);
        if (dayF && r.values[dayF.name] === today() && isFinite(mins)) {
          todayMinutes += mins;
          todayCount += 1;
        }
      });
      summary.textContent = "Today: " + countText(todayCount, def) + ", " + clock(todayMinutes * 60000) + " in all.";
      if (!list.length) {
        log.appendChild(h("li", { class: "muted" }, "Finished " + lowerLabel(def.plural) + " appear here."));
        return;
      }
      list.slice(0, 30).forEach(function (r) {
        var mins = Number(r.values[durF.name]);
        var when = [dayF && r.values[dayF.name] ? formatDate(r.values[dayF.name]) : "", timeF ? String(r.values[timeF.name] || "") : ""].join(" ").trim();
        log.appendChild(h("li", { class: "timer-entry", "data-testid": "timer-entry" }, [
          h("strong", null, titleOf(def, r)),
          h("span", { class: "timer-entry-len" }, isFinite(mins) ? clock(mins * 60000) : ""),
          when ? h("span", { class: "muted small" }, when) : null
        ]));
      });
    }

    update();
    renderLog();
    pruneTimerViews();
    timerViews.push({ el: display, update: update });
    if (t.running) {
      startTicking();
    }
    return h("section", null, [
      problemBanner(def.name),
      viewHead(page, def, h("p", { class: "page-sub" }, mode === "countdown"
        ? "Count down, and each finished " + lowerLabel(def.label) + " is saved."
        : "Start the stopwatch; stop it to save the " + lowerLabel(def.label) + ".")),
      h("div", { class: "timer-layout" }, [
        h("div", { class: "card timer-card" }, [
          display,
          status,
          h("div", { class: "field" }, [h("label", { for: "timer-label-" + page.id }, labelF.label), labelInput]),
          lengthBox,
          h("div", { class: "timer-actions" }, [startBtn, finishBtn, resetBtn])
        ]),
        h("section", { class: "card", "aria-labelledby": "timer-log-" + page.id }, [
          h("h2", { class: "card-title", id: "timer-log-" + page.id }, "Log"),
          summary,
          log
        ])
      ])
    ]);
  }

  /* ---------- study ---------- */

  function shuffled(list) {
    var out = list.slice();
    for (var i = out.length - 1; i > 0; i--) {
      var j = Math.floor(Math.random() * (i + 1));
      var tmp = out[i];
      out[i] = out[j];
      out[j] = tmp;
    }
    return out;
  }

  function sameAnswer(a, b) {
    var norm = function (s) {
      return String(s).toLowerCase().replace(/\s+/g, " ").trim();
    };
    return norm(a) === norm(b);
  }

  function studyPage(page, def, cfg) {
    var frontF = viewField(def, cfg.front_field, TEXTLIKE);
    var backF = viewField(def, cfg.back_field, TEXTLIKE);
    if (!frontF || !backF) {
      return viewMissing(page, def, "a question and an answer field");
    }
    var quiz = cfg.study === "quiz";
    var st = viewState(page, { order: [], index: 0, right: [], wrong: [], answer: null, flipped: false, adding: false });
    var stage = h("div", { class: "card study-card", "aria-live": "polite" });
    var sub = h("p", { class: "page-sub" });
    var addArea = h("div", { class: "study-add" });

    function cards() {
      return records(def.name).filter(function (r) {
        return !isEmpty(r.values[frontF.name]) && !isEmpty(r.values[backF.name]);
      });
    }

    function byId(id) {
      var found = null;
      cards().forEach(function (r) {
        if (r.id === id) {
          found = r;
        }
      });
      return found;
    }

    function begin(ids) {
      st.order = shuffled(ids);
      st.index = 0;
      st.right = [];
      st.wrong = [];
      st.answer = null;
      st.flipped = false;
      st.choices = null;
      render(true);
    }

    function mark(ok, choice) {
      var id = st.order[st.index];
      (ok ? st.right : st.wrong).push(id);
      st.answer = { ok: ok, choice: choice };
      render(true);
    }

    function next() {
      st.index += 1;
      st.answer = null;
      st.flipped = false;
      st.choices = null;
      if (st.index >= st.order.length) {
        store.set("study:" + page.id, { right: st.right.length, total: st.order.length, day: today() });
      }
      render(true);
    }

    function choicesFor(r) {
      var correct = formatPlain(backF, r.values[backF.name]);
      var others = [];
      cards().forEach(function (x) {
        var v = formatPlain(backF, x.values[backF.name]);
        if (x.id !== r.id && !sameAnswer(v, correct) && !others.some(function (o) { return sameAnswer(o, v); })) {
          others.push(v);
        }
      });
      if (!others.length) {
        return null;
      }
      return shuffled([correct].concat(shuffled(others).slice(0, 3)));
    }

    function render(focus) {
      var all = cards();
      var last = store.get("study:" + page.id, null);
      sub.textContent = countText(all.length, def) + (last && last.total ? " \u00b7 last round " + last.right + " of " + last.total : "");
      clear(stage);
      st.order = st.order.filter(function (id) {
        return !!byId(id);
      });
      if (!all.length) {
        stage.appendChild(h("div", { class: "empty" }, [
          h("h2", { class: "empty-title" }, "No " + lowerLabel(def.plural) + " yet"),
          h("p", null, "Add a few below, each with " + lowerLabel(frontF.label) + " and " + lowerLabel(backF.label) + ".")
        ]));
        return;
      }
      if (!st.order.length) {
        stage.appendChild(h("div", { class: "study-start" }, [
          h("p", null, (quiz ? "A quiz over " : "Flashcards over ") + countText(all.length, def) + "."),
          h("button", { type: "button", class: "btn btn-primary", "data-testid": "study-start", "data-focus": "start", onclick: function () {
            begin(all.map(function (r) { return r.id; }));
          } }, quiz ? "Start the quiz" : "Start")
        ]));
        if (focus) {
          refocus(stage, "start");
        }
        return;
      }
      if (st.index >= st.order.length) {
        var total = st.order.length;
        var pct = Math.round((st.right.length / total) * 100);
        var missed = st.wrong.slice();
        stage.appendChild(h("div", { class: "study-end" }, [
          h("p", { class: "study-score", "data-testid": "study-score" }, "You got " + st.right.length + " of " + total + " right (" + pct + "%)."),
          missed.length ? h("p", { class: "muted" }, "Missed: " + missed.map(function (id) {
            var r = byId(id);
            return r ? formatPlain(frontF, r.values[frontF.name]) : "";
          }).filter(Boolean).join(", ")) : h("p", { class: "muted" }, "Nothing missed."),
          h("div", { class: "row" }, [
            missed.length ? h("button", { type: "button", class: "btn btn-primary", "data-testid": "study-repeat", "data-focus": "end", onclick: function () {
              begin(missed);
            } }, "Repeat the " + missed.length + " missed") : null,
            h("button", { type: "button", class: "btn btn-soft", "data-testid": "study-restart", "data-focus": missed.length ? null : "end", onclick: function () {
              begin(cards().map(function (r) { return r.id; }));
            } }, "Start again")
          ])
        ]));
        if (focus) {
          refocus(stage, "end");
        }
        return;
      }
      var r = byId(st.order[st.index]);
      var front = formatPlain(frontF, r.values[frontF.name]);
      var back = formatPlain(backF, r.values[backF.name]);
      stage.appendChild(h("p", { class: "study-progress", "data-testid": "study-progress" },
        (quiz ? "Question " : "Card ") + (st.index + 1) + " of " + st.order.length + " \u00b7 " + st.right.length + " right"));
      stage.appendChild(h("p", { class: "study-label muted small" }, frontF.label));
      stage.appendChild(h("h2", { class: "study-front", "data-testid": "study-front" }, front));
      var answered = !!st.answer;
      if (quiz) {
        if (!st.choices) {
          st.choices = choicesFor(r);
        }
        if (st.choices) {
          stage.appendChild(h("div", { class: "study-choices", role: "group", "aria-label": backF.label }, st.choices.map(function (c, i) {
            var isRight = sameAnswer(c, back);
            var cls = "btn study-choice";
            if (answered && isRight) {
              cls += " is-right";
            } else if (answered && st.answer.choice === c) {
              cls += " is-wrong";
            }
            return h("button", {
              type: "button",
              class: cls,
              "data-testid": "study-choice",
              "data-focus": i === 0 ? "first" : null,
              disabled: answered,
              onclick: function () {
                mark(isRight, c);
              }
            }, c);
          })));
        } else {
          var typed = h("input", { type: "text", id: "study-typed-" + page.id, "data-testid": "study-input", autocomplete: "off", disabled: answered, "data-focus": "first" });
          stage.appendChild(h("form", {
            class: "study-typed",
            onsubmit: function (e) {
              e.preventDefault();
              if (!answered) {
                mark(sameAnswer(typed.value, back), typed.value);
              }
            }
          }, [
            h("label", { for: "study-typed-" + page.id }, "Your answer"),
            typed,
            h("button", { type: "submit", class: "btn btn-soft", "data-testid": "study-check", disabled: answered }, "Check")
          ]));
        }
        if (answered) {
          stage.appendChild(h("p", { class: "study-feedback " + (st.answer.ok ? "ok" : "error-text"), role: "status" },
            st.answer.ok ? "Right!" : "Not quite: " + back));
        }
      } else if (!st.flipped) {
        stage.appendChild(h("button", { type: "button", class: "btn btn-soft study-flip", "data-testid": "study-flip", "data-focus": "first", onclick: function () {
          st.flipped = true;
          render(true);
        } }, "Show " + lowerLabel(backF.label)));
      } else {
        stage.appendChild(h("p", { class: "study-label muted small" }, backF.label));
        stage.appendChild(h("p", { class: "study-back", "data-testid": "study-back" }, back));
        if (!answered) {
          stage.appendChild(h("div", { class: "row" }, [
            h("button", { type: "button", class: "btn btn-primary", "data-testid": "study-right", "data-focus": "first", onclick: function () { mark(true, null); } }, [viewIcon("check"), "I knew it"]),
            h("button", { type: "button", class: "btn btn-soft", "data-testid": "study-wrong", onclick: function () { mark(false, null); } }, [viewIcon("close"), "I did not"])
          ]));
        }
      }
      if (answered) {
        stage.appendChild(h("button", { type: "button", class: "btn btn-primary", "data-testid": "study-next", "data-focus": "next", onclick: next },
          st.index + 1 < st.order.length ? "Next" : "See the score"));
      }
      if (focus) {
        refocus(stage, answered ? "next" : "first");
      }
    }

    function renderAdd() {
      clear(addArea);
      if (!st.adding && cards().length) {
        addArea.appendChild(h("button", { type: "button", class: "btn btn-ghost", "data-testid": "study-add", onclick: function () {
          st.adding = true;
          renderAdd();
          focusFirst(addArea);
        } }, [viewIcon("plus"), "Add " + lowerLabel(def.label)]));
        return;
      }
      addArea.appendChild(h("h2", { class: "sub-title" }, "Add " + lowerLabel(def.label)));
      addArea.appendChild(quickForm(def, {
        id: page.id,
        fields: [frontF.name, backF.name],
        onSaved: function (rec) {
          if (st.order.length && st.index < st.order.length) {
            st.order.push(rec.id);
          }
          render(false);
          renderAdd();
          focusFirst(addArea);
        },
        onCancel: cards().length ? function () {
          st.adding = false;
          renderAdd();
        } : null
      }));
    }

    render(false);
    renderAdd();
    return h("section", null, [problemBanner(def.name), viewHead(page, def, sub), stage, h("div", { class: "card" }, addArea)]);
  }

  /* ---------- chart ---------- */

  var CHART_RANGES = [["30", "30 days"], ["90", "90 days"], ["365", "1 year"], ["all", "All"]];

  function svgEl(tag, attrs, text) {
    var el = document.createElementNS(SVG_NS, tag);
    Object.keys(attrs || {}).forEach(function (k) {
      el.setAttribute(k, String(attrs[k]));
    });
    if (text !== undefined) {
      el.textContent = text;
    }
    return el;
  }

  function niceNumber(n) {
    return Math.round(n * 100) / 100;
  }

  /* A round step (1, 2 or 5 times a power of ten) for about four gridlines over `span`. */
  function niceStep(span) {
    var raw = span / 4;
    var mag = Math.pow(10, Math.floor(Math.log(raw) / Math.LN10));
    var steps = [1, 2, 5, 10];
    for (var i = 0; i < steps.length; i++) {
      if (raw <= steps[i] * mag) {
        return steps[i] * mag;
      }
    }
    return 10 * mag;
  }

  function chartPage(page, def, cfg) {
    var valueF = viewField(def, cfg.value_field, ["number", "rating"]);
    var dateF = viewField(def, cfg.date_field, ["date"]);
    if (!valueF || !dateF) {
      return viewMissing(page, def, "a number field and a date field");
    }
    var bars = cfg.chart === "bar";
    var st = viewState(page, { range: "all" });
    var sub = h("p", { class: "page-sub" });
    var figure = h("figure", { class: "card view-chart", "data-testid": "chart" });
    var rangeButtons = h("div", { class: "chart-ranges", role: "group", "aria-label": "Range" });
    var unit = valueF.unit ? " " + valueF.unit : "";

    function points() {
      var from = st.range === "all" ? "" : addDays(today(), -Number(st.range));
      var list = [];
      records(def.name).forEach(function (r) {
        var d = String(r.values[dateF.name] || "");
        var v = Number(r.values[valueF.name]);
        if (parseDay(d) && r.values[valueF.name] !== "" && isFinite(v) && d >= from) {
          list.push({ day: d, value: v, at: r.createdAt, title: titleOf(def, r) });
        }
      });
      list.sort(function (a, b) {
        return a.day < b.day ? -1 : a.day > b.day ? 1 : a.at < b.at ? -1 : 1;
      });
      if (!bars) {
        return list;
      }
      var sums = [];
      list.forEach(function (p) {
        var last = sums[sums.length - 1];
        if (last && last.day === p.day) {
          last.value += p.value;
          last.title += ", " + p.title;
        } else {
          sums.push({ day: p.day, value: p.value, title: p.title });
        }
      });
      return sums;
    }

    function draw() {
      var pts = points();
      clear(figure);
      // As wide as the page has room for, so the labels keep their size on any screen.
      var room = (shell && shell.main && shell.main.clientWidth) || window.innerWidth;
      var W = Math.max(300, Math.min(1000, Math.round(room - 90)));
      var H = W < 500 ? 240 : 280;
      var L = 52;
      var R = 16;
      var T = 14;
      var B = 30;
      var svg = svgEl("svg", { viewBox: "0 0 " + W + " " + H, class: "chart-svg", role: "img" });
      var caption = valueF.label + " by " + lowerLabel(dateF.label);
      figure.appendChild(h("figcaption", { class: "card-title" }, caption));
      if (!pts.length) {
        figure.appendChild(h("p", { class: "muted chart-empty" }, "No " + lowerLabel(def.plural) + " with a " + lowerLabel(valueF.label) + " and a " + lowerLabel(dateF.label) + " in this range yet."));
        sub.textContent = "Nothing to draw yet";
        return;
      }
      var values = pts.map(function (p) { return p.value; });
      var min = Math.min.apply(null, values);
      var max = Math.max.apply(null, values);
      if (bars || valueF.kind === "rating") {
        min = Math.min(0, min);
      }
      if (valueF.kind === "rating") {
        max = Math.max(5, max);
      }
      if (min === max) {
        min -= 1;
        max += 1;
      }
      var stepV = niceStep(max - min);
      min = Math.floor(min / stepV) * stepV;
      max = Math.ceil(max / stepV) * stepV;
      var y = function (v) { return T + (H - T - B) * (1 - (v - min) / (max - min)); };
      var t0 = parseDay(pts[0].day).getTime();
      var t1 = parseDay(pts[pts.length - 1].day).getTime();
      var slot = (W - L - R) / pts.length;
      var x = function (p, i) {
        if (bars) {
          return L + slot * (i + 0.5);
        }
        return t1 === t0 ? L + (W - L - R) / 2 : L + (W - L - R) * (parseDay(p.day).getTime() - t0) / (t1 - t0);
      };
      for (var gv = min; gv <= max + stepV / 2; gv += stepV) {
        svg.appendChild(svgEl("line", { x1: L, x2: W - R, y1: y(gv), y2: y(gv), class: "chart-grid" }));
        svg.appendChild(svgEl("text", { x: L - 8, y: y(gv) + 4, class: "chart-axis", "text-anchor": "end" }, String(niceNumber(gv))));
      }
      svg.appendChild(svgEl("text", { x: L, y: H - 8, class: "chart-axis", "text-anchor": "start" }, formatDate(pts[0].day)));
      if (pts.length > 1) {
        svg.appendChild(svgEl("text", { x: W - R, y: H - 8, class: "chart-axis", "text-anchor": "end" }, formatDate(pts[pts.length - 1].day)));
      }
      if (bars) {
        var width = Math.max(2, Math.min(48, slot * 0.7));
        var base = y(Math.max(min, 0));
        pts.forEach(function (p, i) {
          var top = y(p.value);
          var rect = svgEl("rect", {
            x: x(p, i) - width / 2, y: Math.min(top, base), width: width, height: Math.max(1, Math.abs(base - top)),
            rx: 3, class: "chart-bar", "data-testid": "chart-point"
          });
          rect.appendChild(svgEl("title", {}, formatDate(p.day) + ": " + niceNumber(p.value) + unit));
          svg.appendChild(rect);
        });
      } else {
        var line = pts.map(function (p, i) { return x(p, i).toFixed(1) + "," + y(p.value).toFixed(1); }).join(" ");
        svg.appendChild(svgEl("polyline", { points: line, class: "chart-line" }));
        pts.forEach(function (p, i) {
          var dot = svgEl("circle", { cx: x(p, i), cy: y(p.value), r: 4.5, class: "chart-dot", "data-testid": "chart-point" });
          dot.appendChild(svgEl("title", {}, formatDate(p.day) + ": " + niceNumber(p.value) + unit + " (" + p.title + ")"));
          svg.appendChild(dot);
        });
      }
      var latest = pts[pts.length - 1];
      var change = pts.length > 1 ? latest.value - pts[0].value : 0;
      var summaryText = (bars ? pts.length + " days" : countText(pts.length, def)) + " \u00b7 latest " + niceNumber(latest.value) + unit +
        " \u00b7 lowest " + niceNumber(Math.min.apply(null, values)) + unit + " \u00b7 highest " + niceNumber(Math.max.apply(null, values)) + unit +
        (pts.length > 1 && !bars ? " \u00b7 change " + (change > 0 ? "+" : "") + niceNumber(change) + unit : "") +
        (bars ? " \u00b7 total " + niceNumber(values.reduce(function (a, b) { return a + b; }, 0)) + unit : "");
      svg.setAttribute("aria-label", caption + ": " + summaryText);
      figure.appendChild(svg);
      sub.textContent = summaryText;
      figure.appendChild(h("details", { class: "chart-data" }, [
        h("summary", null, "Show the numbers"),
        h("table", { class: "chart-table" }, [
          h("thead", null, h("tr", null, [h("th", { scope: "col" }, dateF.label), h("th", { scope: "col" }, valueF.label)])),
          h("tbody", null, pts.slice().reverse().map(function (p) {
            return h("tr", null, [h("td", null, formatDate(p.day)), h("td", null, niceNumber(p.value) + unit)]);
          }))
        ])
      ]));
    }

    function renderRanges() {
      clear(rangeButtons);
      CHART_RANGES.forEach(function (r) {
        rangeButtons.appendChild(h("button", {
          type: "button",
          class: "btn btn-ghost btn-small",
          "data-testid": "chart-range",
          "data-range": r[0],
          "aria-pressed": st.range === r[0] ? "true" : "false",
          onclick: function () {
            st.range = r[0];
            renderRanges();
            draw();
          }
        }, r[1]));
      });
    }

    var preset = {};
    preset[dateF.name] = today();
    var titleF = def.fields[0];
    var fields = [valueF.name, dateF.name];
    if (titleF !== valueF && titleF !== dateF && (titleF.kind === "text" || titleF.kind === "long_text")) {
      // Readings rarely need a name of their own: start from the entity's.
      preset[titleF.name] = def.label;
      fields.unshift(titleF.name);
    }
    var add = quickForm(def, {
      id: page.id,
      fields: fields,
      preset: preset,
      compact: true,
      label: "Log " + lowerLabel(valueF.label),
      onSaved: function () {
        draw();
        var input = add.querySelector("[name=\"" + valueF.name + "\"]");
        if (input && input.type === "number") {
          input.value = "";
          input.focus();
        }
      }
    });
    renderRanges();
    draw();
    return h("section", null, [
      problemBanner(def.name),
      viewHead(page, def, sub),
      rangeButtons,
      figure,
      h("div", { class: "card" }, [h("h2", { class: "sub-title chart-add-title" }, "Log " + lowerLabel(valueF.label)), add])
    ]);
  }

  /* ---------- checklist ---------- */

  function checklistPage(page, def, cfg) {
    var doneF = viewField(def, cfg.done_field, ["boolean"]);
    if (!doneF) {
      return viewMissing(page, def, "a yes/no field to tick");
    }
    var st = viewState(page, { focus: null });
    var sub = h("p", { class: "page-sub" });
    var list = h("ul", { class: "checklist", "data-testid": "checklist", "aria-label": page.title });
    var progress = h("span", { class: "check-progress-fill" });
    var clearBtn = h("button", { type: "button", class: "btn btn-ghost btn-danger-text", "data-testid": "checklist-clear", onclick: clearDone });
    var live = h("p", { class: "sr-only", role: "status", "aria-live": "polite" });

    function reorder(id, to) {
      var all = records(def.name).slice();
      var from = -1;
      all.forEach(function (r, i) {
        if (r.id === id) {
          from = i;
        }
      });
      if (from === -1 || to < 0 || to >= all.length || to === from) {
        return false;
      }
      var moved = all.splice(from, 1)[0];
      all.splice(to, 0, moved);
      saveRecords(def.name, all);
      return true;
    }

    function indexOf(id) {
      var at = -1;
      records(def.name).forEach(function (r, i) {
        if (r.id === id) {
          at = i;
        }
      });
      return at;
    }

    function shift(r, by, focusKey) {
      if (reorder(r.id, indexOf(r.id) + by)) {
        st.focus = focusKey;
        render();
        live.textContent = titleOf(def, r) + " moved " + (by < 0 ? "up" : "down");
      }
    }

    function clearDone() {
      var all = records(def.name);
      var keep = all.filter(function (r) {
        return !r.values[doneF.name];
      });
      var gone = all.length - keep.length;
      if (!gone) {
        return;
      }
      saveRecords(def.name, keep);
      st.focus = "add";
      render();
      toast("Cleared " + gone + (gone === 1 ? " item" : " items"));
    }

    function item(r, i, n) {
      var title = titleOf(def, r);
      var done = !!r.values[doneF.name];
      var boxId = "check-" + page.id + "-" + r.id;
      var el = h("li", {
        class: "check-item" + (done ? " is-done" : ""),
        "data-testid": "checklist-item",
        "data-id": r.id
      }, [
        h("input", {
          type: "checkbox",
          id: boxId,
          checked: done,
          "data-testid": "checklist-toggle",
          "data-focus": "box:" + r.id,
          onchange: function (e) {
            setValue(def, r.id, doneF.name, !!e.target.checked);
            st.focus = "box:" + r.id;
            render();
          },
          onkeydown: function (e) {
            if (e.altKey && (e.key === "ArrowUp" || e.key === "ArrowDown")) {
              e.preventDefault();
              shift(r, e.key === "ArrowUp" ? -1 : 1, "box:" + r.id);
            }
          }
        }),
        h("label", { for: boxId, class: "check-label" }, title),
        cardMeta(def, r, [doneF.name]),
        h("span", { class: "check-moves" }, [
          h("button", {
            type: "button", class: "icon-btn", "data-testid": "move-up", "data-focus": "up:" + r.id,
            "aria-label": "Move " + title + " up", title: "Move up", disabled: i === 0,
            onclick: function () { shift(r, -1, i > 1 ? "up:" + r.id : "down:" + r.id); }
          }, viewIcon("up")),
          h("button", {
            type: "button", class: "icon-btn", "data-testid": "move-down", "data-focus": "down:" + r.id,
            "aria-label": "Move " + title + " down", title: "Move down", disabled: i === n - 1,
            onclick: function () { shift(r, 1, i < n - 2 ? "down:" + r.id : "up:" + r.id); }
          }, viewIcon("down"))
        ])
      ]);
      draggable(el, r.id);
      el.addEventListener("dragover", function (e) {
        if (dragging && dragging !== r.id) {
          e.preventDefault();
          el.classList.add("drop-target");
        }
      });
      el.addEventListener("dragleave", function () {
        el.classList.remove("drop-target");
      });
      el.addEventListener("drop", function (e) {
        e.preventDefault();
        el.classList.remove("drop-target");
        var id = dragging;
        dragging = null;
        if (id && id !== r.id && reorder(id, indexOf(r.id))) {
          render();
        }
      });
      return el;
    }

    function render() {
      var all = records(def.name);
      var done = all.filter(function (r) {
        return !!r.values[doneF.name];
      }).length;
      sub.textContent = done + " of " + all.length + " " + lowerLabel(doneF.label);
      progress.style.width = (all.length ? Math.round((done / all.length) * 100) : 0) + "%";
      clear(clearBtn);
      append(clearBtn, [icon("trash"), "Clear " + lowerLabel(doneF.label) + " (" + done + ")"]);
      clearBtn.disabled = !done;
      clear(list);
      if (!all.length) {
        list.appendChild(h("li", { class: "muted check-empty" }, "Nothing on the list yet."));
      }
      all.forEach(function (r, i) {
        list.appendChild(item(r, i, all.length));
      });
      if (st.focus === "add") {
        focusFirst(add);
      } else {
        refocus(list, st.focus);
      }
      st.focus = null;
    }

    var preset = {};
    preset[doneF.name] = false;
    var add = quickForm(def, {
      id: page.id,
      preset: preset,
      compact: true,
      atEnd: true,
      label: "Add to " + page.title,
      onSaved: function () {
        st.focus = "add";
        add.reset();
        render();
      }
    });
    render();
    return h("section", null, [
      problemBanner(def.name),
      viewHead(page, def, sub),
      h("div", { class: "card check-card" }, [
        add,
        h("div", { class: "check-progress", "aria-hidden": "true" }, progress),
        live,
        list,
        h("div", { class: "check-footer" }, [
          h("p", { class: "muted small" }, "Tick what is done; reorder with the arrows, Alt+Up/Down or by dragging."),
          clearBtn
        ])
      ])
    ]);
  }

  /* ---------- start ---------- */

  function start() {
    if (started) {
      return;
    }
    started = true;
    store = window.NexusStore ? window.NexusStore.open(config.namespace || "app") : {
      persistent: function () { return false; },
      get: function (k, f) { return f; },
      set: function () { return false; },
      remove: function () {}
    };
    var root = document.getElementById("app");
    if (!root) {
      root = h("div", { id: "app" });
      document.body.appendChild(root);
    }
    buildShell(root);
    applyTheme();
    try {
      if (window.matchMedia) {
        var mq = window.matchMedia("(prefers-color-scheme: dark)");
        if (mq.addEventListener) {
          mq.addEventListener("change", applyTheme);
        }
      }
    } catch (e) {
      /* Older browsers: the theme simply does not follow live system changes. */
    }
    window.addEventListener("hashchange", function () {
      var hash = String(window.location.hash || "");
      if (hash === "" || hash.indexOf("#/") === 0) {
        route(true);
      }
    });
    route(false);
  }

  window.NexusApp = {
    version: 1,
    kinds: KINDS.slice(),
    registerEntity: registerEntity,
    start: start,
    streakInfo: streakInfo,
    daysUntil: daysUntil,
    formatDate: formatDate,
    today: today
  };

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    window.addEventListener("load", start);
  }
})();
