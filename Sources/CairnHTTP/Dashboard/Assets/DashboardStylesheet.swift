/// The dashboard's stylesheet (`GET /static/dashboard.css`): system fonts, one accent, a colour per status.
enum DashboardStylesheet {
    static let text = #"""
        :root {
          --bg: #f5f6f8; --panel: #ffffff; --ink: #1d2330; --muted: #6b7385; --line: #e2e5eb; --accent: #2f5bd3;
          --running: #2f6fde; --pending: #5b8def; --enqueued: #7a8cb0; --completed: #1f8a4c; --failed: #c7372f;
          --cancelled: #6d7280; --diverged: #b4530b; --parked: #a27c00;
          --mono: ui-monospace, "SFMono-Regular", "DejaVu Sans Mono", Menlo, Consolas, monospace;
        }
        * { box-sizing: border-box; }
        body { margin: 0; background: var(--bg); color: var(--ink);
          font: 14px/1.45 system-ui, -apple-system, "Segoe UI", "DejaVu Sans", Roboto, sans-serif; }
        a { color: var(--accent); text-decoration: none; }
        a:hover { text-decoration: underline; }
        code, pre, .callsite, td.id, .time, time { font-family: var(--mono); font-size: 12.5px; }
        .wfid { font-family: var(--mono); }
        h1 { font-size: 22px; margin: 0 0 16px; font-weight: 600; }
        h2 { font-size: 15px; margin: 0 0 12px; font-weight: 600; }
        h3 { font-size: 12px; text-transform: uppercase; letter-spacing: .06em; color: var(--muted); margin: 0 0 6px; }
        .muted { color: var(--muted); }
        .small { font-size: 12px; font-weight: normal; }
        .topbar { display: flex; align-items: center; gap: 24px; padding: 0 28px; height: 52px; background: #1b2233; color: #fff; }
        .brand { color: #fff; font-weight: 700; font-size: 16px; display: flex; align-items: center; gap: 8px; }
        .brand:hover { text-decoration: none; }
        .logo { width: 14px; height: 14px; background: linear-gradient(135deg, #7fa7ff, #2f5bd3); transform: rotate(45deg); border-radius: 3px; }
        .topbar nav { display: flex; gap: 4px; }
        .topbar nav a { color: #c9d1e6; padding: 6px 12px; border-radius: 6px; }
        .topbar nav a.active, .topbar nav a:hover { background: #2b3550; color: #fff; text-decoration: none; }
        .jump { margin-left: auto; }
        .jump input { width: 240px; background: #2b3550; border: 1px solid #3b4666; color: #fff; border-radius: 6px; padding: 6px 10px; }
        .jump input::placeholder { color: #9aa5c2; }
        main { max-width: 1240px; margin: 0 auto; padding: 24px 28px 40px; }
        .foot { text-align: center; color: var(--muted); font-size: 12px; padding: 0 0 24px; }
        .panel { background: var(--panel); border: 1px solid var(--line); border-radius: 10px; padding: 16px 18px; margin-bottom: 18px; }
        .panel.narrow { max-width: 520px; margin: 40px auto; }
        .panel h2 .more { float: right; font-weight: normal; font-size: 13px; }
        .columns { display: grid; grid-template-columns: repeat(3, 1fr); gap: 18px; }
        .columns .panel { margin-bottom: 18px; }
        .cards { display: grid; grid-template-columns: repeat(8, 1fr); gap: 10px; margin-bottom: 8px; }
        .card { background: var(--panel); border: 1px solid var(--line); border-top: 4px solid var(--c, var(--muted));
          border-radius: 10px; padding: 12px 14px; color: var(--ink); display: flex; flex-direction: column; }
        .card:hover { text-decoration: none; box-shadow: 0 2px 8px rgba(20, 30, 60, .08); }
        .card .count { font-size: 26px; font-weight: 650; }
        .card .label { color: var(--muted); font-size: 12px; text-transform: uppercase; letter-spacing: .05em; }
        .status-running { --c: var(--running); } .status-pending { --c: var(--pending); } .status-enqueued { --c: var(--enqueued); }
        .status-completed { --c: var(--completed); } .status-failed { --c: var(--failed); } .status-cancelled { --c: var(--cancelled); }
        .status-diverged { --c: var(--diverged); } .status-parked { --c: var(--parked); } .status-unknown { --c: var(--muted); }
        .badge { display: inline-block; padding: 1px 9px; border-radius: 999px; font-size: 12px; font-weight: 600;
          color: var(--c, var(--muted)); background: color-mix(in srgb, var(--c, var(--muted)) 12%, white);
          border: 1px solid color-mix(in srgb, var(--c, var(--muted)) 35%, white); }
        .badge.big { font-size: 13px; padding: 3px 12px; }
        .pill { display: inline-block; padding: 0 7px; border-radius: 999px; font-size: 11px; background: #fff4e0; color: #8a5a00; border: 1px solid #f1d7a6; }
        table.grid { width: 100%; border-collapse: collapse; }
        .grid th, .grid td { text-align: left; padding: 7px 10px; border-bottom: 1px solid var(--line); vertical-align: top; }
        .grid thead th { font-size: 12px; color: var(--muted); font-weight: 600; text-transform: uppercase; letter-spacing: .04em; }
        .grid tbody tr:hover { background: #f8f9fc; }
        .grid.compact th, .grid.compact td { padding: 5px 8px; }
        .grid tbody th { font-weight: 500; }
        .num { text-align: right !important; font-variant-numeric: tabular-nums; white-space: nowrap; }
        .sub { font-size: 12px; color: var(--muted); margin-top: 2px; }
        .sub.problem { color: var(--failed); max-width: 380px; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
        .tags { list-style: none; padding: 0; margin: 0; display: flex; flex-wrap: wrap; gap: 6px; }
        .tags li a { display: inline-block; padding: 3px 10px; border-radius: 6px; background: #eef2fb; font-family: var(--mono); font-size: 12.5px; }
        .filters { display: flex; flex-wrap: wrap; align-items: flex-end; gap: 12px; background: var(--panel); border: 1px solid var(--line);
          border-radius: 10px; padding: 12px 14px; margin-bottom: 12px; }
        .filters label, .stacked label { display: flex; flex-direction: column; gap: 4px; font-size: 12px; color: var(--muted); }
        input, select { font: inherit; color: var(--ink); padding: 6px 9px; border: 1px solid #cfd4de; border-radius: 6px; background: #fff; }
        button, .button { font: inherit; font-weight: 600; cursor: pointer; padding: 7px 14px; border-radius: 6px; border: 1px solid var(--accent);
          background: var(--accent); color: #fff; display: inline-block; }
        .button:hover, button:hover { filter: brightness(1.08); text-decoration: none; }
        button.secondary, .button.secondary { background: #fff; color: var(--accent); }
        button.danger { background: #fff; color: var(--failed); border-color: var(--failed); }
        button.danger:hover { background: var(--failed); color: #fff; }
        button:disabled { opacity: .5; cursor: wait; }
        .pager { display: flex; gap: 10px; justify-content: flex-end; margin-top: 12px; }
        .empty { background: var(--panel); border: 1px dashed var(--line); border-radius: 10px; padding: 24px; text-align: center; color: var(--muted); }
        .error { color: var(--failed); margin: 8px 0 0; }
        .title-row { display: flex; align-items: center; gap: 14px; margin-bottom: 6px; }
        .title-row h1 { margin: 0; word-break: break-all; }
        .live { font-size: 12px; color: var(--completed); }
        .live::before { content: "● "; }
        .actions { display: flex; gap: 8px; align-items: center; margin: 10px 0 18px; flex-wrap: wrap; }
        .actions .error { margin: 0 0 0 8px; }
        .summary dl { display: grid; grid-template-columns: 130px 1fr; gap: 8px 16px; margin: 0; }
        .summary dt { color: var(--muted); }
        .summary dd { margin: 0; min-width: 0; }
        .payload { display: flex; gap: 8px; align-items: baseline; min-width: 0; margin-top: 3px; }
        .payload code { background: #f3f5f9; border-radius: 4px; padding: 1px 6px; word-break: break-all; }
        .payload details { min-width: 0; }
        .payload summary { cursor: pointer; }
        .payload pre { background: #f3f5f9; padding: 10px; border-radius: 6px; white-space: pre-wrap; word-break: break-all; max-height: 360px; overflow: auto; }
        .payload .size { color: var(--muted); font-size: 11px; white-space: nowrap; }
        .divergence { border: 2px solid var(--diverged); background: #fffaf4; }
        .divergence h2 { color: var(--diverged); font-size: 17px; }
        .compare { display: grid; grid-template-columns: 1fr 1fr; gap: 14px; margin: 12px 0; }
        .side { background: #fff; border: 1px solid var(--line); border-radius: 8px; padding: 12px; }
        .side.recorded { border-left: 4px solid var(--completed); }
        .side.attempted { border-left: 4px solid var(--diverged); }
        .side .op { font-family: var(--mono); margin: 0 0 6px; font-weight: 600; word-break: break-word; }
        .side .callsite { margin: 0; color: var(--muted); }
        .side .callsite::before { content: "at "; }
        .reason { margin: 0; white-space: pre-wrap; font-weight: 500; }
        .failed { border-left: 4px solid var(--failed); }
        .failed pre, .parked pre { color: var(--failed); margin: 0; }
        .parked { border-left: 4px solid var(--parked); }
        .tree, .tree ul { list-style: none; margin: 0; padding-left: 18px; }
        .tree { padding-left: 0; }
        .tree li { padding: 3px 0; }
        .tree ul { border-left: 1px dashed #c8cedb; margin-left: 6px; }
        .timeline { list-style: none; margin: 0; padding: 0; position: relative; }
        .event { display: grid; grid-template-columns: 48px 20px minmax(0, 1fr) 300px; gap: 0 10px; padding: 8px 0; border-bottom: 1px solid #f0f2f6; position: relative; }
        .event .pos { text-align: right; color: var(--muted); font-family: var(--mono); font-size: 12px; padding-top: 2px; }
        .event .dot { width: 12px; height: 12px; border-radius: 50%; margin: 4px auto 0; background: var(--c, var(--muted));
          box-shadow: 0 0 0 3px color-mix(in srgb, var(--c, var(--muted)) 18%, white); }
        .event .body { min-width: 0; }
        .event .kind { font-weight: 600; }
        .event .name { font-family: var(--mono); font-size: 12.5px; color: #394055; }
        .event .detail { color: #4b5366; font-size: 13px; }
        .event .meta { text-align: right; display: flex; flex-direction: column; gap: 2px; color: var(--muted); font-size: 12px; min-width: 0; overflow-wrap: anywhere; }
        .event .duration { color: var(--ink); font-weight: 600; font-size: 12px; }
        .event.new { animation: flash 1.6s ease-out; }
        @keyframes flash { from { background: #fff7d6; } to { background: transparent; } }
        .cat-step { --c: var(--completed); } .cat-retry { --c: #e09a18; } .cat-failure { --c: var(--failed); }
        .cat-sleep { --c: #8a63d2; } .cat-wait { --c: var(--pending); } .cat-message { --c: #1796a8; }
        .cat-child { --c: #d0447d; } .cat-event { --c: #5f6b85; } .cat-lifecycle { --c: #1b2233; }
        .cat-retry .detail, .cat-failure .detail { color: var(--failed); }
        .error-page { text-align: center; }
        .error-page .code { font-size: 44px; font-weight: 700; color: var(--muted); margin: 0; }
        .error-page .message { word-break: break-word; }
        .stacked { display: flex; flex-direction: column; gap: 12px; }
        @media (max-width: 900px) { .columns, .compare { grid-template-columns: 1fr; } .cards { grid-template-columns: repeat(4, 1fr); }
          .event { grid-template-columns: 36px 16px 1fr; } .event .meta { grid-column: 3; text-align: left; } }
        """#
}
