// Package deluge runs scripts in a language compatible with Zoho's Deluge:
// a lexer, a parser that records the line and column of every node, and a
// tree-walking evaluator with limits on steps, memory, calls, response size
// and time. Scripts call APIs with the invokeurl task through an Invoker.
//
// # What follows Zoho's documentation
//
// The invokeurl task takes the keys url, type, parameters, headers, body,
// content-type, connection and detailed, written one per line without
// commas and with any spacing around the colon. The type key is one of the
// constants GET, POST, PUT, PATCH and DELETE, and GET when absent (Zoho,
// "invokeURL task for API calls",
// www.zoho.com/deluge/help/webhook/invokeurl-api-task.html).
// A JSON object or array in the response becomes a map or list, and other
// bodies become text. With detailed: true the task returns a map of
// responseCode, responseHeader and responseText, the shape of getUrl's
// detailed response (www.zoho.com/deluge/help/web-data/geturl.html).
// Operators + - * / %, comparisons, && || !, and + as concatenation when
// one side is text follow Zoho's operator page
// (www.zoho.com/creator/newhelp/script/operators.html). Keywords and
// built-in names match in any case, as Zoho's invokeUrl and invokeurl do.
// The default time limit of 40 seconds and response limit of 5 MB are the
// limits Zoho states for invokeurl.
//
// # Where plugboard decides
//
// Zoho's pages leave these open, so the behaviour here is plugboard's choice.
//
//   - Numbers: a NUMBER is an int64 and a DECIMAL a float64. Two NUMBERs
//     give a NUMBER, and their division truncates toward zero like Java's
//     long division (7 / 2 is 3). A DECIMAL on either side gives a
//     DECIMAL. Overflow and division by zero are runtime errors.
//     DECIMALs render with at least one digit after the point (2.0).
//   - Null: info null logs "null", and null adds nothing to a concatenation
//     ("a" + null is "a"). Arithmetic on null, and calling a method other
//     than isNull, isEmpty or toString on null, is a runtime error.
//   - Rendering: info and toString render maps and lists as compact JSON,
//     maps with keys in insertion order.
//   - Maps: keys are text, and other keys are stored as their text form.
//     {} is an empty map, and {1, 2} and [1, 2] are lists. Collection() is
//     always a map.
//   - Lists: indexes start at 0, and get and remove of a missing index fail.
//     remove takes an index and removeElement a value. sort sorts in place
//     and returns the list. A for each loop runs over the elements present
//     when it starts.
//   - Text: positions count characters. getPrefix and getSuffix return null
//     when the search text is absent. replaceAll and replaceFirst take a
//     regular expression in Go's RE2 syntax, or plain text when a third
//     argument is true. toNumber needs a whole number, but toDecimal takes
//     any number.
//   - Conditions of if and the operands of && || ! must be BOOLEAN, because
//     there is no truthiness.
//   - invokeurl: the connection key names a plugboard connection by link
//     name. Text given as parameters is sent as the body, as Zoho does. A
//     map given as parameters travels in InvokeRequest.Parameters. A non-2xx
//     response is returned like any other, not raised. The keys files,
//     response-format and response-decoding are not supported.
//   - Scripts are function bodies: there is no function header, no date
//     type and no Zoho integration task (zoho.crm.* and the like).
//
// # Limits
//
// Limits bounds a run. Exceeding a limit is a *RuntimeError that names the
// limit and its value.
//
//   - Timeout: 40 s by default, for the whole run.
//   - MaxSteps: 200,000 by default. Statements and calls count one step
//     each, and comparisons of maps and lists a step per 32 values visited.
//   - MaxMemory: 16 MiB by default, of text, keys and entries built,
//     counted cumulatively.
//   - MaxCalls: 50 invokeurl tasks by default.
//   - MaxResponseBytes: 5 MiB per response by default.
package deluge
