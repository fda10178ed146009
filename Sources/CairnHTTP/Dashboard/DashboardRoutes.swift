import Cairn
import Hummingbird

/// The web dashboard's pages (server-rendered with swift-mustache): placeholder until the pages land.
struct DashboardRoutes: Sendable {
    let engine: WorkflowEngine
    let payloads: PayloadView
    let tokenRequired: Bool

    func add(to router: Router<BasicRequestContext>) {}
}
