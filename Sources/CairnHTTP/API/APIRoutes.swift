import Cairn
import CairnAPI
import Hummingbird

/// The JSON API under `/api/v1`.
struct APIRoutes: Sendable {
    let engine: WorkflowEngine
    let payloads: PayloadView
    let maxBodySize: Int

    func add(to router: Router<BasicRequestContext>) {}
}
