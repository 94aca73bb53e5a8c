// format-router: a CloudFront viewer-request function (runtime cloudfront-js-2.0) that serves
// each rendition in the best format the browser accepts. A request for `/<stem>/<name>` becomes
// `/<stem>/<name>.avif`, `.webp` or `.jpg`, whichever the RENDITIONS setting writes for that
// rendition; the rewritten path is the cache key, so the raw Accept header never splits the
// cache, and the response carries `Vary: Accept` (the distribution's response headers policy).
// A path whose last segment names no rendition (`thumb.webp`, an explicit file, included) goes to
// the origin as it is.
//
// The deployers put the RENDITIONS setting (the processor's grammar) in place of the
// placeholder below, as a JSON string; the node tests do the same.

var RENDITIONS = "__RENDITIONS__";

var EXTENSIONS = { jpeg: "jpg", webp: "webp", avif: "avif" };
// Smallest first: the order in which formats the browser names with the same weight are tried.
var BY_SIZE = ["avif", "webp"];
// What a browser that names no modern format gets, when the rendition has no JPEG: the format
// most browsers decode.
var BY_REACH = ["jpeg", "webp", "avif"];

// Rendition name -> the formats it is written in. Only the name and the format option matter
// here; the processor validates the whole setting when it starts.
function formatsByName(renditions) {
  var formats = {};
  renditions.split(",").forEach(function (spec) {
    var parts = spec.trim().split(":");
    if (parts[0] === "") {
      return;
    }
    var named = ["jpeg"];
    parts.slice(1).forEach(function (option) {
      var names = option.split("+");
      if (names.every(function (n) { return EXTENSIONS[n] !== undefined; })) {
        named = names;
      }
    });
    formats[parts[0]] = named;
  });
  return formats;
}

var FORMATS = formatsByName(RENDITIONS);

// The weight the Accept header gives `image/<format>` when it names it; 0 when it does not.
// Wildcards do not count: `*/*` and `image/*` come from browsers that decode no WebP too.
function weightOf(accept, format) {
  var weight = 0;
  accept.split(",").forEach(function (range) {
    var fields = range.split(";");
    if (fields[0].trim().toLowerCase() !== "image/" + format) {
      return;
    }
    var q = 1;
    fields.slice(1).forEach(function (parameter) {
      var pair = parameter.split("=");
      if (pair[0].trim().toLowerCase() === "q") {
        q = parseFloat(pair[1]);
      }
    });
    weight = isNaN(q) ? 0 : q;
  });
  return weight;
}

// The format to serve a rendition written in `formats` to a browser sending `accept`.
function choose(formats, accept) {
  var best = null;
  var bestWeight = 0;
  BY_SIZE.forEach(function (format) {
    var weight = formats.indexOf(format) >= 0 ? weightOf(accept, format) : 0;
    if (weight > bestWeight) {
      best = format;
      bestWeight = weight;
    }
  });
  if (best !== null) {
    return best;
  }
  return BY_REACH.filter(function (format) {
    return formats.indexOf(format) >= 0;
  })[0];
}

function handler(event) {
  var request = event.request;
  var slash = request.uri.lastIndexOf("/");
  var name = request.uri.slice(slash + 1);
  // `hasOwnProperty`: a name such as `constructor` is no rendition, whatever Object holds.
  if (slash <= 0 || !Object.prototype.hasOwnProperty.call(FORMATS, name)) {
    return request;
  }
  var accept = request.headers.accept ? request.headers.accept.value : "";
  request.uri = request.uri + "." + EXTENSIONS[choose(FORMATS[name], accept)];
  return request;
}
