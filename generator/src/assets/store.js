/*
 * store.js: persistence for a Nexus Forge app.
 *
 * NexusStore.open(namespace) returns a small key/value store of JSON values whose keys are
 * prefixed with the app's namespace. It uses localStorage when the browser allows it and
 * falls back to memory when it does not: a sandboxed preview (opaque origin) throws on
 * every localStorage access, private modes may refuse writes, and quotas can fill up.
 * Nothing here ever throws and nothing is logged, so the app runs the same everywhere.
 */
(function () {
  "use strict";

  function probe() {
    try {
      var ls = window.localStorage;
      if (!ls) {
        return null;
      }
      var key = "__nexus_probe__";
      ls.setItem(key, "1");
      ls.removeItem(key);
      return ls;
    } catch (e) {
      return null;
    }
  }

  function open(namespace) {
    var prefix = "nexus:" + String(namespace || "app") + ":";
    var backend = probe();
    var memory = Object.create(null);

    function read(key) {
      var full = prefix + key;
      if (backend) {
        try {
          var raw = backend.getItem(full);
          if (raw !== null) {
            return raw;
          }
        } catch (e) {
          backend = null;
        }
      }
      return Object.prototype.hasOwnProperty.call(memory, full) ? memory[full] : null;
    }

    function write(key, raw) {
      var full = prefix + key;
      memory[full] = raw;
      if (backend) {
        try {
          backend.setItem(full, raw);
        } catch (e) {
          /* Quota or policy: the value stays in memory for this session. */
          backend = null;
        }
      }
    }

    return {
      /** Whether values survive a reload. */
      persistent: function () {
        return backend !== null;
      },
      /** The value stored under `key`, or `fallback` when there is none or it is unreadable. */
      get: function (key, fallback) {
        var raw = read(key);
        if (raw === null) {
          return fallback;
        }
        try {
          return JSON.parse(raw);
        } catch (e) {
          return fallback;
        }
      },
      /** Stores `value` (anything JSON can encode) under `key`. */
      set: function (key, value) {
        var raw;
        try {
          raw = JSON.stringify(value);
        } catch (e) {
          return false;
        }
        write(key, raw);
        return true;
      },
      /** Forgets `key`. */
      remove: function (key) {
        var full = prefix + key;
        delete memory[full];
        if (backend) {
          try {
            backend.removeItem(full);
          } catch (e) {
            backend = null;
          }
        }
      }
    };
  }

  window.NexusStore = { open: open };
})();
