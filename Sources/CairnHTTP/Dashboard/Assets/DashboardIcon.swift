/// The dashboard's icon (`GET /static/favicon.svg`): the cairn's stone, as in the navigation bar.
enum DashboardIcon {
    static let text = #"""
        <svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 16 16"><defs><linearGradient id="g" x1="0" y1="0" x2="1" y2="1"><stop offset="0" stop-color="#7fa7ff"/><stop offset="1" stop-color="#2f5bd3"/></linearGradient></defs><rect x="3" y="3" width="10" height="10" rx="2" transform="rotate(45 8 8)" fill="url(#g)"/></svg>
        """#
}
