import Cairn
import Foundation

/// The dashboard's script (`GET /static/dashboard.js`): the sign-in form, the workflow page's buttons (which post
/// JSON to the API after a confirmation), and the live timeline (the API's event stream). Builds every element with
/// `textContent`, never HTML from data.
enum DashboardScript {
    /// The script: the kind table the server's ``Timeline`` uses, then the code.
    static let text: String = {
        var kinds: [String: [String: String]] = [:]
        for kind in EventKind.allCases {
            let name = kind.declaration.caseName
            var entry = ["category": Timeline.category(name)]
            if Timeline.outcomes.contains(name) { entry["outcome"] = "true" }
            kinds[name] = entry
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let table = (try? encoder.encode(kinds)).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
        return "\"use strict\";\n// Event kinds (an API event's `kind`): their category and whether they end an operation.\n"
            + "const cairnKinds = \(table);\n" + code
    }()

    private static let code = #"""
        (function () {
          const activeStatuses = new Set(["enqueued", "pending", "running"]);
          function kindOf(event) {
            const known = cairnKinds[event.kind] || { category: "lifecycle" };
            return { name: event.kind, label: event.label || event.kind, category: known.category, outcome: known.outcome };
          }

          function el(tag, className, text) {
            const node = document.createElement(tag);
            if (className) node.className = className;
            if (text !== undefined && text !== null) node.textContent = String(text);
            return node;
          }
          function time(iso) { return iso ? iso.replace("T", " ").replace("Z", "") : ""; }
          function duration(seconds) {
            if (seconds < 1) return Math.round(seconds * 1000) + " ms";
            if (seconds < 60) return seconds.toFixed(1) + " s";
            if (seconds < 3600) return Math.floor(seconds / 60) + " min " + Math.floor(seconds % 60) + " s";
            return Math.floor(seconds / 3600) + " h " + Math.floor(seconds % 3600 / 60) + " min";
          }
          function failure(value) {
            if (!value || typeof value !== "object") return null;
            return (value.errorType || "Error") + (value.message ? ": " + value.message : "");
          }
          function preview(payload) {
            if (!payload) return null;
            if (payload.redacted) return "<redacted, " + payload.bytes + " bytes>";
            if (payload.json !== undefined) return JSON.stringify(payload.json);
            return "<" + payload.bytes + " bytes>";
          }
          // What a live row says of its event: the same rules as the server's Timeline.
          function describe(event) {
            const d = event.details || {};
            const lines = [];
            switch (kindOf(event).name) {
              case "retryWaitStarted":
                lines.push("attempt " + d.attempt + (d.maxAttempts ? " of " + d.maxAttempts : "") + " failed: " + (failure(d.error) || "error"));
                if (d.nextAttempt) lines.push("next attempt at " + time(d.nextAttempt));
                break;
              case "sleepStarted":
                if (d.wake) lines.push("wakes at " + time(d.wake));
                if (typeof d.durationMs === "number") lines.push("for " + duration(d.durationMs / 1000));
                break;
              case "receiveStarted":
                lines.push(d.deadline ? "waits until " + time(d.deadline) + " at the latest" : "waits with no deadline");
                if (d.eventOwner) lines.push("for an event of " + d.eventOwner);
                break;
              case "messageSent":
                if (d.destination) lines.push("to " + d.destination);
                break;
              case "childStarted":
                if (d.workflowName) lines.push("workflow " + d.workflowName);
                break;
              case "workflowParked":
                if (d.reason) lines.push("parked: " + d.reason);
                if (d.message) lines.push(d.message);
                break;
              default:
                if (failure(d.error)) lines.push(failure(d.error));
            }
            return lines;
          }

          function timelineRow(event, previous) {
            const kind = kindOf(event);
            const li = el("li", "event new cat-" + kind.category);
            li.dataset.lsn = event.lsn;
            li.dataset.kind = kind.name;
            li.dataset.time = event.time;
            li.appendChild(el("span", "pos", event.position || ""));
            li.appendChild(el("span", "dot"));
            const body = el("div", "body");
            const head = el("div", "head");
            head.appendChild(el("span", "kind", kind.label));
            head.appendChild(document.createTextNode(" "));
            head.appendChild(el("span", "name", event.name));
            if (kind.name === "childStarted" && event.details && event.details.childID) {
              head.appendChild(document.createTextNode(" "));
              const link = el("a", null, event.details.childID);
              link.href = "/workflows/" + encodeURIComponent(event.details.childID);
              head.appendChild(link);
            }
            body.appendChild(head);
            for (const line of describe(event)) body.appendChild(el("div", "detail", line));
            const shown = preview(event.payload);
            if (shown !== null) {
              const payload = el("div", "payload");
              payload.appendChild(el("code", null, shown.length > 160 ? shown.slice(0, 160) + "…" : shown));
              payload.appendChild(el("span", "size", event.payload.bytes + " B"));
              body.appendChild(payload);
            }
            li.appendChild(body);
            const meta = el("div", "meta");
            meta.appendChild(el("time", null, time(event.time)));
            if (kind.outcome && previous) {
              meta.appendChild(el("span", "duration", duration((Date.parse(event.time) - Date.parse(previous)) / 1000)));
            }
            if (event.callSite) meta.appendChild(el("span", "callsite", event.callSite));
            li.appendChild(meta);
            return li;
          }

          function setStatus(status) {
            const badge = document.getElementById("status-badge");
            if (!badge) return;
            badge.textContent = status;
            badge.className = "badge big status-" + status;
          }

          function followLive(root) {
            if (root.dataset.live !== "true" || typeof EventSource === "undefined") return;
            const id = root.dataset.workflowId;
            let after = Number(root.dataset.after || "0");
            const timeline = document.getElementById("timeline");
            const indicator = document.getElementById("live-indicator");
            const source = new EventSource("/api/v1/events?workflow=" + encodeURIComponent(id) + "&after=" + after);
            source.addEventListener("open", function () { if (indicator) indicator.hidden = false; });
            source.addEventListener("error", function () { if (indicator) indicator.hidden = true; });
            source.addEventListener("event", function (message) {
              let event;
              try { event = JSON.parse(message.data); } catch (e) { return; }
              if (typeof event.lsn !== "number" || event.lsn <= after) return;
              after = event.lsn;
              root.dataset.after = String(after);
              const rows = timeline.querySelectorAll("li.event");
              const previous = rows.length ? rows[rows.length - 1].dataset.time : null;
              timeline.appendChild(timelineRow(event, previous));
              // A lifecycle event (no position) may change the status: ask the API for it.
              if (!event.position) refreshStatus();
            });
            async function refreshStatus() {
              try {
                const response = await fetch("/api/v1/workflows/" + encodeURIComponent(id), { credentials: "same-origin" });
                if (!response.ok) return;
                const workflow = await response.json();
                setStatus(workflow.status);
                if (!activeStatuses.has(workflow.status)) {
                  // Settled: the summary (result, failure, actions) changed too; show the page whole.
                  source.close();
                  if (indicator) indicator.hidden = true;
                  setTimeout(function () { window.location.reload(); }, 400);
                }
              } catch (e) { /* the stream goes on; the next event asks again */ }
            }
          }

          async function errorText(response) {
            try {
              const body = await response.json();
              if (body && body.error && body.error.message) return body.error.message;
            } catch (e) { /* not JSON */ }
            return "the server answered " + response.status + " " + response.statusText;
          }

          async function post(path, body) {
            return fetch(path, {
              method: "POST", credentials: "same-origin",
              headers: { "Content-Type": "application/json", "Accept": "application/json" },
              body: JSON.stringify(body)
            });
          }

          function wireActions(root) {
            const id = root.dataset.workflowId;
            const problem = document.getElementById("action-error");
            function show(text) { problem.textContent = text; problem.hidden = false; }
            for (const button of root.querySelectorAll("button[data-action]")) {
              button.addEventListener("click", async function () {
                const action = button.dataset.action;
                let body = {};
                if (action === "fork") {
                  const answer = window.prompt("Fork " + id + ": a new workflow replays its history before which top-level position, " +
                    "and runs live from there? (0 runs it all again)", root.dataset.forkBefore || "0");
                  if (answer === null) return;
                  const before = Number(answer.trim());
                  if (answer.trim() === "" || !Number.isInteger(before) || before < 0) {
                    show("'" + answer + "' is not a position: give a whole number from 0.");
                    return;
                  }
                  body = { before: before };
                } else if (!window.confirm(action.charAt(0).toUpperCase() + action.slice(1) + " workflow " + id + "?")) {
                  return;
                }
                button.disabled = true;
                problem.hidden = true;
                try {
                  const response = await post("/api/v1/workflows/" + encodeURIComponent(id) + "/" + action, body);
                  if (!response.ok) { show(action + " failed: " + await errorText(response)); return; }
                  if (action === "fork") {
                    const forked = await response.json();
                    window.location.href = "/workflows/" + encodeURIComponent(forked.id);
                  } else {
                    window.location.reload();
                  }
                } catch (e) {
                  show(action + " failed: " + e.message);
                } finally {
                  button.disabled = false;
                }
              });
            }
          }

          function wireLogin(form) {
            const problem = document.getElementById("login-error");
            form.addEventListener("submit", async function (submitted) {
              submitted.preventDefault();
              problem.hidden = true;
              try {
                const response = await post("/login", { token: document.getElementById("token").value });
                if (response.ok) { window.location.href = "/"; return; }
                problem.textContent = await errorText(response);
              } catch (e) {
                problem.textContent = "could not sign in: " + e.message;
              }
              problem.hidden = false;
            });
          }

          document.addEventListener("DOMContentLoaded", function () {
            const root = document.getElementById("workflow");
            if (root) { wireActions(root); followLive(root); }
            const login = document.getElementById("login-form");
            if (login) wireLogin(login);
          });
        })();
        """#
}
