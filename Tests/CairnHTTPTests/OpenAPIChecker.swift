import Cairn
import Foundation

/// Checks JSON responses against the API's OpenAPI document: the schema of the route's method and status, with
/// the parts of JSON Schema the document uses (`$ref`, `type` — one or a list —, `properties`, `required`,
/// `additionalProperties`, `items`, `enum`, `minimum`, `maximum`).
struct OpenAPIChecker {
    let document: [String: Any]

    init(json: String) throws {
        document = try JSONSerialization.jsonObject(with: Data(json.utf8)) as! [String: Any]
    }

    /// The document's path template matching `path` (`/api/v1/workflows/{id}` for `/api/v1/workflows/a`).
    func template(of path: String) -> String? {
        let paths = document["paths"] as! [String: Any]
        let parts = path.split(separator: "?")[0].split(separator: "/", omittingEmptySubsequences: true)
        return paths.keys.sorted().first { template in
            let pattern = template.split(separator: "/", omittingEmptySubsequences: true)
            guard pattern.count == parts.count else { return false }
            return zip(pattern, parts).allSatisfy { $0.hasPrefix("{") || $0 == $1 }
        }
    }

    /// The problems of `body` as the answer `status` to `method path` (empty when it conforms).
    func problems(method: String, path: String, status: Int, body: Data) -> [String] {
        guard let template = template(of: path) else { return ["\(path): no such path in the document"] }
        let paths = document["paths"] as! [String: Any]
        guard let operation = (paths[template] as? [String: Any])?[method.lowercased()] as? [String: Any] else {
            return ["\(method) \(template): no such operation in the document"]
        }
        let responses = operation["responses"] as! [String: Any]
        guard let response = responses[String(status)] as? [String: Any] else {
            return ["\(method) \(template): status \(status) is not documented (documented: \(responses.keys.sorted()))"]
        }
        guard let content = response["content"] as? [String: Any] else { return body.isEmpty ? [] : ["unexpected body"] }
        guard let json = content["application/json"] as? [String: Any], let schema = json["schema"] as? [String: Any] else {
            return []  // not JSON (the event stream)
        }
        guard let value = try? JSONValue(parsing: Array(body)) else {
            return ["\(method) \(template) \(status): the body is not JSON"]
        }
        var problems: [String] = []
        check(value, against: schema, at: "\(method) \(template) \(status) $", into: &problems)
        return problems
    }

    private func resolve(_ schema: [String: Any]) -> [String: Any] {
        guard let ref = schema["$ref"] as? String else { return schema }
        let name = ref.split(separator: "/").last.map(String.init)!
        let schemas = (document["components"] as! [String: Any])["schemas"] as! [String: Any]
        return resolve(schemas[name] as! [String: Any])
    }

    private func typeName(_ value: JSONValue) -> String {
        switch value {
        case .null: "null"
        case .bool: "boolean"
        case .integer: "integer"
        case .number: "number"
        case .string: "string"
        case .array: "array"
        case .object: "object"
        }
    }

    private func check(_ value: JSONValue, against schema: [String: Any], at path: String, into problems: inout [String]) {
        let schema = resolve(schema)
        let actual = typeName(value)
        if let type = schema["type"] {
            let allowed = (type as? [String]) ?? [type as! String]
            let fits = allowed.contains(actual) || (actual == "integer" && allowed.contains("number"))
            if !fits {
                problems.append("\(path): \(actual), expected \(allowed.joined(separator: " or "))")
                return
            }
        }
        if let options = schema["enum"] as? [String], case .string(let text) = value, !options.contains(text) {
            problems.append("\(path): '\(text)' is not one of \(options)")
        }
        if let minimum = (schema["minimum"] as? NSNumber)?.doubleValue, case .integer(let number) = value, Double(number) < minimum {
            problems.append("\(path): \(number) is below \(minimum)")
        }
        if case .object(let object) = value {
            let properties = schema["properties"] as? [String: Any] ?? [:]
            for key in schema["required"] as? [String] ?? [] where object[key] == nil {
                problems.append("\(path): required field '\(key)' is missing")
            }
            for (key, field) in object {
                if let property = properties[key] as? [String: Any] {
                    check(field, against: property, at: "\(path).\(key)", into: &problems)
                } else if let additional = schema["additionalProperties"] as? [String: Any] {
                    check(field, against: additional, at: "\(path).\(key)", into: &problems)
                } else if (schema["additionalProperties"] as? Bool) == false {
                    problems.append("\(path): field '\(key)' is not in the document")
                }
            }
        }
        if case .array(let array) = value, let items = schema["items"] as? [String: Any] {
            for (index, item) in array.enumerated() { check(item, against: items, at: "\(path)[\(index)]", into: &problems) }
        }
    }
}
