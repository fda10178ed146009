/// The API's OpenAPI 3.1 document, served at `/api/v1/openapi.json`; the API's tests check every response they get
/// against it. Keep it in step with ``APIRoutes`` (a route or a field added there is added here).
enum OpenAPIDocument {
    static let json = #"""
{
 "components": {
  "schemas": {
   "Accepted": {
    "additionalProperties": false,
    "properties": {
     "accepted": {
      "type": "boolean"
     }
    },
    "required": [
     "accepted"
    ],
    "type": "object"
   },
   "CancelRequest": {
    "additionalProperties": false,
    "properties": {
     "includingChildren": {
      "type": "boolean"
     }
    },
    "required": [],
    "type": "object"
   },
   "Divergence": {
    "additionalProperties": false,
    "properties": {
     "attempted": {
      "type": "string"
     },
     "position": {
      "type": "string"
     },
     "reason": {
      "type": "string"
     },
     "recorded": {
      "type": "string"
     }
    },
    "required": [
     "recorded",
     "attempted",
     "reason"
    ],
    "type": "object"
   },
   "Error": {
    "additionalProperties": false,
    "properties": {
     "error": {
      "additionalProperties": false,
      "properties": {
       "code": {
        "type": "string"
       },
       "message": {
        "type": "string"
       },
       "workflowID": {
        "type": "string"
       }
      },
      "required": [
       "code",
       "message"
      ],
      "type": "object"
     }
    },
    "required": [
     "error"
    ],
    "type": "object"
   },
   "Event": {
    "additionalProperties": false,
    "properties": {
     "callSite": {
      "type": "string"
     },
     "details": {
      "additionalProperties": true,
      "description": "The fields of the event's kind: error {errorType,message} for failures; wake and durationMs for sleeps; attempt, maxAttempts, nextAttempt for retries; childID and workflowName for children; destination, topic, idempotencyKey for sends; key for events and streams; queue, priority, partitionKey, deduplicationID, notBefore for enqueues; reason, message, attempts for parks; \u2026",
      "type": "object"
     },
     "kind": {
      "description": "The kind's stable name (stepCompleted, \u2026).",
      "type": "string"
     },
     "label": {
      "description": "The kind in words (step completed).",
      "type": "string"
     },
     "lsn": {
      "minimum": 1,
      "type": "integer"
     },
     "name": {
      "type": "string"
     },
     "payload": {
      "$ref": "#/components/schemas/Payload"
     },
     "position": {
      "type": "string"
     },
     "time": {
      "format": "date-time",
      "type": "string"
     },
     "workflowID": {
      "type": "string"
     }
    },
    "required": [
     "lsn",
     "workflowID",
     "kind",
     "label",
     "name",
     "time",
     "details"
    ],
    "type": "object"
   },
   "EventValues": {
    "additionalProperties": {
     "$ref": "#/components/schemas/Payload"
    },
    "type": "object"
   },
   "Failure": {
    "additionalProperties": false,
    "properties": {
     "errorType": {
      "type": "string"
     },
     "message": {
      "type": "string"
     }
    },
    "required": [
     "errorType",
     "message"
    ],
    "type": "object"
   },
   "ForkRequest": {
    "additionalProperties": false,
    "properties": {
     "before": {
      "minimum": 0,
      "type": "integer"
     },
     "newID": {
      "type": "string"
     }
    },
    "required": [
     "before"
    ],
    "type": "object"
   },
   "ForkResponse": {
    "additionalProperties": false,
    "properties": {
     "id": {
      "type": "string"
     },
     "workflow": {
      "$ref": "#/components/schemas/Workflow"
     }
    },
    "required": [
     "id"
    ],
    "type": "object"
   },
   "History": {
    "additionalProperties": false,
    "properties": {
     "events": {
      "items": {
       "$ref": "#/components/schemas/Event"
      },
      "type": "array"
     },
     "next": {
      "type": "integer"
     }
    },
    "required": [
     "events"
    ],
    "type": "object"
   },
   "Latency": {
    "additionalProperties": false,
    "properties": {
     "count": {
      "minimum": 0,
      "type": "integer"
     },
     "p50Ms": {
      "type": "number"
     },
     "p90Ms": {
      "type": "number"
     },
     "p99Ms": {
      "type": "number"
     }
    },
    "required": [
     "count"
    ],
    "type": "object"
   },
   "Overview": {
    "additionalProperties": false,
    "properties": {
     "cached": {
      "type": "integer"
     },
     "commitLatency": {
      "$ref": "#/components/schemas/Latency"
     },
     "lastRecorded": {
      "type": "integer"
     },
     "queues": {
      "items": {
       "$ref": "#/components/schemas/Queue"
      },
      "type": "array"
     },
     "ready": {
      "type": "integer"
     },
     "registeredWorkflows": {
      "items": {
       "type": "string"
      },
      "type": "array"
     },
     "running": {
      "type": "integer"
     },
     "schedules": {
      "items": {
       "$ref": "#/components/schemas/Schedule"
      },
      "type": "array"
     },
     "store": {
      "type": "string"
     },
     "syncLatency": {
      "$ref": "#/components/schemas/Latency"
     },
     "waiting": {
      "type": "integer"
     },
     "workflows": {
      "additionalProperties": {
       "type": "integer"
      },
      "type": "object"
     }
    },
    "required": [
     "workflows",
     "running",
     "cached",
     "waiting",
     "ready",
     "commitLatency",
     "syncLatency",
     "lastRecorded",
     "registeredWorkflows",
     "queues",
     "schedules",
     "store"
    ],
    "type": "object"
   },
   "Payload": {
    "additionalProperties": false,
    "properties": {
     "base64": {
      "type": "string"
     },
     "bytes": {
      "minimum": 0,
      "type": "integer"
     },
     "json": {},
     "redacted": {
      "type": "boolean"
     }
    },
    "required": [
     "bytes"
    ],
    "type": "object"
   },
   "Queue": {
    "additionalProperties": false,
    "properties": {
     "concurrency": {
      "type": "integer"
     },
     "delayed": {
      "type": "integer"
     },
     "name": {
      "type": "string"
     },
     "partitionConcurrency": {
      "type": "integer"
     },
     "rateLimitCount": {
      "type": "integer"
     },
     "rateLimitPeriodMs": {
      "type": "number"
     },
     "running": {
      "type": "integer"
     },
     "waiting": {
      "type": "integer"
     },
     "workerConcurrency": {
      "type": "integer"
     }
    },
    "required": [
     "name",
     "waiting",
     "delayed",
     "running"
    ],
    "type": "object"
   },
   "Schedule": {
    "additionalProperties": false,
    "properties": {
     "catchUp": {
      "type": "string"
     },
     "cron": {
      "type": "string"
     },
     "lastTick": {
      "format": "date-time",
      "type": "string"
     },
     "lastWorkflowID": {
      "type": "string"
     },
     "name": {
      "type": "string"
     },
     "nextTick": {
      "format": "date-time",
      "type": "string"
     },
     "paused": {
      "type": "boolean"
     },
     "timeZone": {
      "type": "string"
     },
     "workflow": {
      "type": "string"
     }
    },
    "required": [
     "name",
     "cron",
     "timeZone",
     "workflow",
     "catchUp",
     "paused"
    ],
    "type": "object"
   },
   "SendRequest": {
    "additionalProperties": false,
    "properties": {
     "idempotencyKey": {
      "type": "string"
     },
     "message": {},
     "topic": {
      "type": "string"
     }
    },
    "required": [
     "message"
    ],
    "type": "object"
   },
   "StartRequest": {
    "additionalProperties": false,
    "properties": {
     "id": {
      "type": "string"
     },
     "input": {},
     "name": {
      "type": "string"
     }
    },
    "required": [
     "name",
     "input"
    ],
    "type": "object"
   },
   "StartResponse": {
    "additionalProperties": false,
    "properties": {
     "created": {
      "type": "boolean"
     },
     "workflow": {
      "$ref": "#/components/schemas/Workflow"
     }
    },
    "required": [
     "workflow",
     "created"
    ],
    "type": "object"
   },
   "StreamValues": {
    "additionalProperties": false,
    "properties": {
     "closed": {
      "type": "boolean"
     },
     "values": {
      "items": {
       "$ref": "#/components/schemas/Payload"
      },
      "type": "array"
     }
    },
    "required": [
     "values",
     "closed"
    ],
    "type": "object"
   },
   "Workflow": {
    "additionalProperties": false,
    "properties": {
     "deadline": {
      "format": "date-time",
      "type": "string"
     },
     "divergence": {
      "$ref": "#/components/schemas/Divergence"
     },
     "eventValues": {
      "additionalProperties": {
       "$ref": "#/components/schemas/Payload"
      },
      "type": "object"
     },
     "failure": {
      "$ref": "#/components/schemas/Failure"
     },
     "historyCount": {
      "minimum": 0,
      "type": "integer"
     },
     "id": {
      "type": "string"
     },
     "input": {
      "$ref": "#/components/schemas/Payload"
     },
     "name": {
      "type": "string"
     },
     "output": {
      "$ref": "#/components/schemas/Payload"
     },
     "parentID": {
      "type": "string"
     },
     "parkReason": {
      "type": "string"
     },
     "parkedBecause": {
      "type": "string"
     },
     "startedAt": {
      "format": "date-time",
      "type": "string"
     },
     "status": {
      "enum": [
       "enqueued",
       "pending",
       "running",
       "completed",
       "failed",
       "cancelled",
       "diverged",
       "parked"
      ],
      "type": "string"
     },
     "timedOut": {
      "type": "boolean"
     },
     "updatedAt": {
      "format": "date-time",
      "type": "string"
     },
     "waitingFor": {
      "type": "string"
     }
    },
    "required": [
     "id",
     "name",
     "status",
     "startedAt",
     "updatedAt",
     "historyCount",
     "timedOut"
    ],
    "type": "object"
   },
   "WorkflowPage": {
    "additionalProperties": false,
    "properties": {
     "next": {
      "type": "string"
     },
     "workflows": {
      "items": {
       "$ref": "#/components/schemas/Workflow"
      },
      "type": "array"
     }
    },
    "required": [
     "workflows"
    ],
    "type": "object"
   }
  },
  "securitySchemes": {
   "bearer": {
    "scheme": "bearer",
    "type": "http"
   }
  }
 },
 "info": {
  "description": "Read and steer a running Cairn workflow engine. Served by CairnHTTPServer beside the engine. When the server has a token, every request carries `Authorization: Bearer TOKEN`. Requests that act send JSON and must be same-origin.",
  "title": "Cairn engine API",
  "version": "1"
 },
 "openapi": "3.1.0",
 "paths": {
  "/api/v1/events": {
   "get": {
    "operationId": "streamEvents",
    "parameters": [
     {
      "description": "Only this workflow's events.",
      "in": "query",
      "name": "workflow",
      "required": false,
      "schema": {
       "type": "string"
      }
     },
     {
      "description": "Start after this LSN.",
      "in": "query",
      "name": "after",
      "required": false,
      "schema": {
       "minimum": 0,
       "type": "integer"
      }
     },
     {
      "description": "Start with the last N events (0: only new ones).",
      "in": "query",
      "name": "last",
      "required": false,
      "schema": {
       "maximum": 100000,
       "minimum": 0,
       "type": "integer"
      }
     },
     {
      "in": "header",
      "name": "Last-Event-ID",
      "required": false,
      "schema": {
       "type": "string"
      }
     }
    ],
    "responses": {
     "200": {
      "content": {
       "text/event-stream": {
        "schema": {
         "type": "string"
        }
       }
      },
      "description": "`id: LSN`, `event: event`, `data: Event` per event; `event: error` if reading fails; `: keep-alive` comments."
     },
     "400": {
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      },
      "description": "A query parameter does not parse."
     },
     "401": {
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      },
      "description": "The server has a token and the request did not carry it."
     },
     "404": {
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      },
      "description": "No workflow with this ID."
     },
     "500": {
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      },
      "description": "The engine failed."
     }
    },
    "summary": "Every recorded event as server-sent events, live (id = LSN; reconnect with Last-Event-ID)."
   }
  },
  "/api/v1/openapi.json": {
   "get": {
    "operationId": "openapi",
    "responses": {
     "200": {
      "content": {
       "application/json": {
        "schema": {
         "type": "object"
        }
       }
      },
      "description": "The OpenAPI document."
     }
    },
    "summary": "This document."
   }
  },
  "/api/v1/overview": {
   "get": {
    "operationId": "overview",
    "responses": {
     "200": {
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Overview"
        }
       }
      },
      "description": "The overview."
     },
     "401": {
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      },
      "description": "The server has a token and the request did not carry it."
     },
     "500": {
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      },
      "description": "The engine failed."
     }
    },
    "summary": "The engine at a glance: counts by status, activity, latencies, queues, schedules."
   }
  },
  "/api/v1/queues": {
   "get": {
    "operationId": "queues",
    "responses": {
     "200": {
      "content": {
       "application/json": {
        "schema": {
         "items": {
          "$ref": "#/components/schemas/Queue"
         },
         "type": "array"
        }
       }
      },
      "description": "The queues."
     },
     "401": {
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      },
      "description": "The server has a token and the request did not carry it."
     },
     "500": {
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      },
      "description": "The engine failed."
     }
    },
    "summary": "Every queue and its counts."
   }
  },
  "/api/v1/schedules": {
   "get": {
    "operationId": "schedules",
    "responses": {
     "200": {
      "content": {
       "application/json": {
        "schema": {
         "items": {
          "$ref": "#/components/schemas/Schedule"
         },
         "type": "array"
        }
       }
      },
      "description": "The schedules."
     },
     "401": {
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      },
      "description": "The server has a token and the request did not carry it."
     },
     "500": {
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      },
      "description": "The engine failed."
     }
    },
    "summary": "Every schedule."
   }
  },
  "/api/v1/workflows": {
   "get": {
    "operationId": "listWorkflows",
    "parameters": [
     {
      "description": "Only this status (repeatable, or comma-separated).",
      "in": "query",
      "name": "status",
      "required": false,
      "schema": {
       "enum": [
        "enqueued",
        "pending",
        "running",
        "completed",
        "failed",
        "cancelled",
        "diverged",
        "parked"
       ],
       "type": "string"
      }
     },
     {
      "description": "Only this workflow name.",
      "in": "query",
      "name": "name",
      "required": false,
      "schema": {
       "type": "string"
      }
     },
     {
      "description": "Only IDs containing this text.",
      "in": "query",
      "name": "q",
      "required": false,
      "schema": {
       "type": "string"
      }
     },
     {
      "description": "Only those started at or after this time (ISO 8601).",
      "in": "query",
      "name": "since",
      "required": false,
      "schema": {
       "format": "date-time",
       "type": "string"
      }
     },
     {
      "description": "Only those started before this time (ISO 8601).",
      "in": "query",
      "name": "until",
      "required": false,
      "schema": {
       "format": "date-time",
       "type": "string"
      }
     },
     {
      "description": "Page size, 1\u20131000 (50).",
      "in": "query",
      "name": "limit",
      "required": false,
      "schema": {
       "maximum": 1000,
       "minimum": 1,
       "type": "integer"
      }
     },
     {
      "description": "The `next` of the page before.",
      "in": "query",
      "name": "cursor",
      "required": false,
      "schema": {
       "type": "string"
      }
     }
    ],
    "responses": {
     "200": {
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/WorkflowPage"
        }
       }
      },
      "description": "A page of workflows."
     },
     "400": {
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      },
      "description": "A query parameter does not parse (invalid_query)."
     },
     "401": {
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      },
      "description": "The server has a token and the request did not carry it."
     },
     "500": {
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      },
      "description": "The engine failed."
     }
    },
    "summary": "Workflows, newest start first, filtered, a page at a time."
   },
   "post": {
    "operationId": "startWorkflow",
    "requestBody": {
     "content": {
      "application/json": {
       "schema": {
        "$ref": "#/components/schemas/StartRequest"
       }
      }
     },
     "required": true
    },
    "responses": {
     "200": {
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/StartResponse"
        }
       }
      },
      "description": "The ID existed: nothing was started."
     },
     "201": {
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/StartResponse"
        }
       }
      },
      "description": "Started."
     },
     "400": {
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      },
      "description": "The body is not valid JSON of the request's shape (invalid_json), or the engine refused an argument (invalid_argument)."
     },
     "401": {
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      },
      "description": "The server has a token and the request did not carry it."
     },
     "403": {
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      },
      "description": "A cross-site request, or a body that is not application/json."
     },
     "404": {
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      },
      "description": "No workflow is registered under this name (unknown_workflow)."
     },
     "409": {
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      },
      "description": "The ID belongs to a workflow of another name (id_conflict)."
     },
     "413": {
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      },
      "description": "The body is over the server's limit."
     },
     "500": {
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      },
      "description": "The engine failed."
     },
     "503": {
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      },
      "description": "The engine is shutting down or its store failed."
     }
    },
    "summary": "Start a registered workflow by name with a JSON input; idempotent by ID."
   }
  },
  "/api/v1/workflows/{id}": {
   "get": {
    "operationId": "getWorkflow",
    "parameters": [
     {
      "description": "The workflow's ID.",
      "in": "path",
      "name": "id",
      "required": true,
      "schema": {
       "type": "string"
      }
     }
    ],
    "responses": {
     "200": {
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Workflow"
        }
       }
      },
      "description": "The workflow."
     },
     "401": {
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      },
      "description": "The server has a token and the request did not carry it."
     },
     "404": {
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      },
      "description": "No workflow with this ID."
     },
     "500": {
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      },
      "description": "The engine failed."
     }
    },
    "summary": "One workflow, with its input, result and event values."
   }
  },
  "/api/v1/workflows/{id}/cancel": {
   "post": {
    "operationId": "cancelWorkflow",
    "parameters": [
     {
      "description": "The workflow's ID.",
      "in": "path",
      "name": "id",
      "required": true,
      "schema": {
       "type": "string"
      }
     }
    ],
    "requestBody": {
     "content": {
      "application/json": {
       "schema": {
        "$ref": "#/components/schemas/CancelRequest"
       }
      }
     },
     "required": false
    },
    "responses": {
     "200": {
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Workflow"
        }
       }
      },
      "description": "Cancelled (or already finished)."
     },
     "400": {
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      },
      "description": "The body is not valid JSON of the request's shape (invalid_json), or the engine refused an argument (invalid_argument)."
     },
     "401": {
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      },
      "description": "The server has a token and the request did not carry it."
     },
     "403": {
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      },
      "description": "A cross-site request, or a body that is not application/json."
     },
     "404": {
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      },
      "description": "No workflow with this ID (not_found)."
     },
     "413": {
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      },
      "description": "The body is over the server's limit."
     },
     "500": {
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      },
      "description": "The engine failed."
     },
     "503": {
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      },
      "description": "The engine is shutting down or its store failed."
     }
    },
    "summary": "Cancel it (and its children unless told otherwise)."
   }
  },
  "/api/v1/workflows/{id}/children": {
   "get": {
    "operationId": "getChildren",
    "parameters": [
     {
      "description": "The workflow's ID.",
      "in": "path",
      "name": "id",
      "required": true,
      "schema": {
       "type": "string"
      }
     }
    ],
    "responses": {
     "200": {
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/WorkflowPage"
        }
       }
      },
      "description": "Its children."
     },
     "401": {
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      },
      "description": "The server has a token and the request did not carry it."
     },
     "404": {
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      },
      "description": "No workflow with this ID."
     },
     "500": {
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      },
      "description": "The engine failed."
     }
    },
    "summary": "The workflows it started as children, in start order."
   }
  },
  "/api/v1/workflows/{id}/events": {
   "get": {
    "operationId": "getEventValues",
    "parameters": [
     {
      "description": "The workflow's ID.",
      "in": "path",
      "name": "id",
      "required": true,
      "schema": {
       "type": "string"
      }
     }
    ],
    "responses": {
     "200": {
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/EventValues"
        }
       }
      },
      "description": "Its event values by key."
     },
     "401": {
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      },
      "description": "The server has a token and the request did not carry it."
     },
     "404": {
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      },
      "description": "No workflow with this ID."
     },
     "500": {
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      },
      "description": "The engine failed."
     }
    },
    "summary": "The current value of each event it set."
   }
  },
  "/api/v1/workflows/{id}/fork": {
   "post": {
    "operationId": "forkWorkflow",
    "parameters": [
     {
      "description": "The workflow's ID.",
      "in": "path",
      "name": "id",
      "required": true,
      "schema": {
       "type": "string"
      }
     }
    ],
    "requestBody": {
     "content": {
      "application/json": {
       "schema": {
        "$ref": "#/components/schemas/ForkRequest"
       }
      }
     },
     "required": true
    },
    "responses": {
     "201": {
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/ForkResponse"
        }
       }
      },
      "description": "Forked."
     },
     "400": {
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      },
      "description": "The body is not valid JSON of the request's shape (invalid_json), or the engine refused an argument (invalid_argument)."
     },
     "401": {
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      },
      "description": "The server has a token and the request did not carry it."
     },
     "403": {
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      },
      "description": "A cross-site request, or a body that is not application/json."
     },
     "404": {
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      },
      "description": "No workflow with this ID (not_found)."
     },
     "409": {
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      },
      "description": "The new ID exists."
     },
     "413": {
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      },
      "description": "The body is over the server's limit."
     },
     "500": {
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      },
      "description": "The engine failed."
     },
     "503": {
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      },
      "description": "The engine is shutting down or its store failed."
     }
    },
    "summary": "A new workflow with the same input that replays the history before a position and runs live from there."
   }
  },
  "/api/v1/workflows/{id}/history": {
   "get": {
    "operationId": "getHistory",
    "parameters": [
     {
      "description": "The workflow's ID.",
      "in": "path",
      "name": "id",
      "required": true,
      "schema": {
       "type": "string"
      }
     },
     {
      "description": "Only events after this LSN (a page's `next`).",
      "in": "query",
      "name": "after",
      "required": false,
      "schema": {
       "minimum": 0,
       "type": "integer"
      }
     },
     {
      "description": "Page size, 1\u201310000 (1000).",
      "in": "query",
      "name": "limit",
      "required": false,
      "schema": {
       "maximum": 10000,
       "minimum": 1,
       "type": "integer"
      }
     }
    ],
    "responses": {
     "200": {
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/History"
        }
       }
      },
      "description": "A page of the history."
     },
     "400": {
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      },
      "description": "A query parameter does not parse."
     },
     "401": {
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      },
      "description": "The server has a token and the request did not carry it."
     },
     "404": {
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      },
      "description": "No workflow with this ID."
     },
     "500": {
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      },
      "description": "The engine failed."
     }
    },
    "summary": "A workflow's recorded events in log order, a page at a time."
   }
  },
  "/api/v1/workflows/{id}/messages": {
   "post": {
    "operationId": "sendMessage",
    "parameters": [
     {
      "description": "The workflow's ID.",
      "in": "path",
      "name": "id",
      "required": true,
      "schema": {
       "type": "string"
      }
     }
    ],
    "requestBody": {
     "content": {
      "application/json": {
       "schema": {
        "$ref": "#/components/schemas/SendRequest"
       }
      }
     },
     "required": true
    },
    "responses": {
     "202": {
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Accepted"
        }
       }
      },
      "description": "Recorded."
     },
     "400": {
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      },
      "description": "The body is not valid JSON of the request's shape (invalid_json), or the engine refused an argument (invalid_argument)."
     },
     "401": {
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      },
      "description": "The server has a token and the request did not carry it."
     },
     "403": {
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      },
      "description": "A cross-site request, or a body that is not application/json."
     },
     "404": {
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      },
      "description": "No workflow with this ID (not_found)."
     },
     "413": {
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      },
      "description": "The body is over the server's limit."
     },
     "500": {
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      },
      "description": "The engine failed."
     },
     "503": {
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      },
      "description": "The engine is shutting down or its store failed."
     }
    },
    "summary": "Send a JSON message to its inbox (exactly once per idempotency key)."
   }
  },
  "/api/v1/workflows/{id}/resume": {
   "post": {
    "operationId": "resumeWorkflow",
    "parameters": [
     {
      "description": "The workflow's ID.",
      "in": "path",
      "name": "id",
      "required": true,
      "schema": {
       "type": "string"
      }
     }
    ],
    "requestBody": {
     "content": {
      "application/json": {
       "schema": {
        "type": "object"
       }
      }
     },
     "required": false
    },
    "responses": {
     "200": {
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Workflow"
        }
       }
      },
      "description": "Resumed."
     },
     "400": {
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      },
      "description": "The body is not valid JSON of the request's shape (invalid_json), or the engine refused an argument (invalid_argument)."
     },
     "401": {
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      },
      "description": "The server has a token and the request did not carry it."
     },
     "403": {
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      },
      "description": "A cross-site request, or a body that is not application/json."
     },
     "404": {
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      },
      "description": "No workflow with this ID (not_found)."
     },
     "409": {
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      },
      "description": "It is not cancelled, diverged or parked (invalid_state)."
     },
     "413": {
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      },
      "description": "The body is over the server's limit."
     },
     "500": {
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      },
      "description": "The engine failed."
     },
     "503": {
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      },
      "description": "The engine is shutting down or its store failed."
     }
    },
    "summary": "Resume a cancelled, diverged or parked workflow."
   }
  },
  "/api/v1/workflows/{id}/streams/{key}": {
   "get": {
    "operationId": "getStream",
    "parameters": [
     {
      "description": "The workflow's ID.",
      "in": "path",
      "name": "id",
      "required": true,
      "schema": {
       "type": "string"
      }
     },
     {
      "in": "path",
      "name": "key",
      "required": true,
      "schema": {
       "type": "string"
      }
     },
     {
      "description": "Skip this many values.",
      "in": "query",
      "name": "after",
      "required": false,
      "schema": {
       "minimum": 0,
       "type": "integer"
      }
     }
    ],
    "responses": {
     "200": {
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/StreamValues"
        }
       }
      },
      "description": "The values."
     },
     "401": {
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      },
      "description": "The server has a token and the request did not carry it."
     },
     "404": {
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      },
      "description": "No workflow with this ID."
     },
     "500": {
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      },
      "description": "The engine failed."
     }
    },
    "summary": "A stream's values so far, and whether it is closed."
   }
  }
 },
 "security": [
  {},
  {
   "bearer": []
  }
 ],
 "servers": [
  {
   "url": "http://127.0.0.1:8080"
  }
 ]
}
"""#
}
