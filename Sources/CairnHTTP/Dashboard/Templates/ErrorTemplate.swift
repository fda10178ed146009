/// The page of a request the dashboard cannot answer: an unknown workflow (404), a bad filter (400).
enum ErrorTemplate {
    static let text = #"""
        {{> header}}
        <section class="panel narrow error-page">
          <p class="code">{{code}}</p>
          <h1>{{heading}}</h1>
          <p class="message">{{message}}</p>
          <p><a href="/workflows">All workflows</a> · <a href="/">Overview</a></p>
        </section>
        {{> footer}}
        """#
}
