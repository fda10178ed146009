/// A workflow's page (``WorkflowPageModel``): its summary and actions, a divergence report first when it diverged,
/// its children as a tree, and its history as a timeline (``Timeline``) that grows live while it is active.
enum WorkflowTemplate {
    static let text = #"""
        {{> header}}
        <div class="workflow" id="workflow" data-workflow-id="{{id}}" data-after="{{lastLSN}}" data-fork-before="{{forkBefore}}"{{#live}} data-live="true"{{/live}}>
        <div class="title-row">
          <h1><span class="muted">Workflow</span> <span class="wfid">{{id}}</span></h1>
          <span id="status-badge" class="badge big status-{{status}}">{{status}}</span>
          <span id="live-indicator" class="live" hidden>live</span>
        </div>
        <div class="actions">
          {{#canCancel}}<button type="button" class="danger" data-action="cancel">Cancel</button>{{/canCancel}}
          {{#canResume}}<button type="button" data-action="resume">Resume</button>{{/canResume}}
          {{#canFork}}<button type="button" class="secondary" data-action="fork">Fork…</button>{{/canFork}}
          <p class="error" id="action-error" role="alert" hidden></p>
        </div>

        {{#divergence}}
        <section class="panel divergence" id="divergence">
          <h2>Diverged at position {{position}}</h2>
          <p>The workflow's code no longer matches its recorded history. Fix the code (or register the old version) and resume it, or fork it before this position.</p>
          <div class="compare">
            <div class="side recorded">
              <h3>Recorded</h3>
              <p class="op">{{recordedOperation}}</p>
              {{#recordedCallSite}}<p class="callsite">{{recordedCallSite}}</p>{{/recordedCallSite}}
            </div>
            <div class="side attempted">
              <h3>Attempted</h3>
              <p class="op">{{attemptedOperation}}</p>
              {{#attemptedCallSite}}<p class="callsite">{{attemptedCallSite}}</p>{{/attemptedCallSite}}
            </div>
          </div>
          <p class="reason">{{reason}}</p>
        </section>
        {{/divergence}}
        {{#parkReason}}
        <section class="panel parked">
          <h2>Parked: {{parkedBecause}}</h2>
          <pre class="reason">{{parkReason}}</pre>
        </section>
        {{/parkReason}}
        {{#failure}}
        <section class="panel failed"><h2>Failed</h2><pre class="reason">{{failure}}</pre></section>
        {{/failure}}

        <section class="panel summary">
          <dl>
            <dt>Name</dt><dd><a href="{{listHref}}">{{name}}</a></dd>
            <dt>Started</dt><dd class="time">{{started}}</dd>
            <dt>Updated</dt><dd class="time">{{updated}} <span class="muted">({{elapsed}} after start)</span></dd>
            {{#parent}}<dt>Parent</dt><dd><a href="{{href}}">{{id}}</a></dd>{{/parent}}
            {{#deadline}}<dt>Deadline</dt><dd class="time">{{deadline}}{{#timedOut}} <span class="badge status-cancelled">timed out</span>{{/timedOut}}</dd>{{/deadline}}
            {{#waitingFor}}<dt>Waiting for</dt><dd>{{waitingFor}}</dd>{{/waitingFor}}
            <dt>Input</dt><dd>{{#input}}{{> payload}}{{/input}}{{^input}}<span class="muted">–</span>{{/input}}</dd>
            {{#output}}<dt>Result</dt><dd>{{> payload}}</dd>{{/output}}
            {{#eventValues}}<dt>Event {{key}}</dt><dd>{{#value}}{{> payload}}{{/value}}</dd>{{/eventValues}}
          </dl>
        </section>

        {{#hasChildren}}
        <section class="panel">
          <h2>Children</h2>
          <ul class="tree">{{#children}}{{> childTree}}{{/children}}</ul>
        </section>
        {{/hasChildren}}

        <section class="panel">
          <h2>Timeline <span class="muted small">{{eventCount}} events</span></h2>
          {{#historyProblem}}<p class="error">{{historyProblem}}</p>{{/historyProblem}}
          {{#noHistory}}<p class="muted">No history is kept for this workflow (it was compacted to its summary).</p>{{/noHistory}}
          <ol class="timeline" id="timeline">
          {{#rows}}{{> timelineRow}}{{/rows}}
          </ol>
          {{#cutRows}}<p class="muted">{{cutRows}} more events are not shown; read them with <code>GET /api/v1/workflows/ID/history</code>.</p>{{/cutRows}}
        </section>
        </div>
        {{> footer}}
        """#

    /// One event of the timeline (``Timeline/rows()``); `dashboard.js` builds the same structure for live rows.
    static let timelineRow = #"""
        <li class="event cat-{{category}}" data-lsn="{{lsn}}" data-kind="{{kind}}" data-time="{{iso}}">
          <span class="pos" title="position">{{position}}</span>
          <span class="dot" aria-hidden="true"></span>
          <div class="body">
            <div class="head"><span class="kind">{{label}}</span> <span class="name">{{name}}</span>{{#child}} <a href="{{href}}">{{id}}</a> <span class="badge status-{{status}}">{{status}}</span>{{/child}}{{#attempts}} <span class="pill">{{attempts}}</span>{{/attempts}}</div>
            {{#details}}<div class="detail">{{text}}</div>{{/details}}
            {{#payload}}{{> payload}}{{/payload}}
          </div>
          <div class="meta">
            <time>{{time}}</time>
            {{#duration}}<span class="duration">{{duration}}</span>{{/duration}}
            {{#callSite}}<span class="callsite">{{callSite}}</span>{{/callSite}}
          </div>
        </li>
        """#

    /// A child in the tree, with its own children (the context's `children`, empty for a leaf).
    static let childTree = #"""
        <li>{{#more}}<span class="muted">and {{more}} more</span>{{/more}}{{^more}}<a href="{{href}}">{{id}}</a> <span class="muted">{{name}}</span> <span class="badge status-{{status}}">{{status}}</span>{{#hasChildren}}<ul>{{#children}}{{> childTree}}{{/children}}</ul>{{/hasChildren}}{{/more}}</li>
        """#
}
