/// Every template of the dashboard by name: the pages, and the partials they share (``DashboardRenderer/library``).
enum DashboardTemplates {
    static let all: [(name: String, text: String)] = [
        ("header", LayoutTemplate.header),
        ("footer", LayoutTemplate.footer),
        ("payload", LayoutTemplate.payload),
        ("workflowRows", LayoutTemplate.workflowRows),
        ("overview", OverviewTemplate.text),
        ("list", WorkflowListTemplate.text),
        ("workflow", WorkflowTemplate.text),
        ("timelineRow", WorkflowTemplate.timelineRow),
        ("childTree", WorkflowTemplate.childTree),
        ("login", LoginTemplate.text),
        ("error", ErrorTemplate.text),
    ]
}
