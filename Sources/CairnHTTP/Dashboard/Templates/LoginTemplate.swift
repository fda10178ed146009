/// The sign-in page: a form whose script posts the token as JSON to `POST /login` (which sets the cookie).
enum LoginTemplate {
    static let text = #"""
        {{> header}}
        <section class="panel narrow">
          <h1>Sign in</h1>
          {{#open}}<p>This server needs no token. <a href="/">Open the dashboard</a>.</p>{{/open}}
          {{^open}}
          <p class="muted">This server needs its token (the one given to <code>CairnHTTPConfiguration.token</code>).</p>
          <form id="login-form" class="stacked">
            <label>Token <input type="password" name="token" id="token" autocomplete="current-password" required></label>
            <button type="submit">Sign in</button>
            <p class="error" id="login-error" role="alert" hidden></p>
          </form>
          {{/open}}
        </section>
        {{> footer}}
        """#
}
