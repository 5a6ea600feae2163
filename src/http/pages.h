// The web UI's files, embedded in the binary: one HTML shell for every page, its script and its
// style sheet. Plain HTML/JS/CSS, no build step, nothing loaded from the network.
#ifndef AVIARY_HTTP_PAGES_H_
#define AVIARY_HTTP_PAGES_H_

namespace aviary::http {

extern const char kPageHtml[];
extern const char kAppJs[];
extern const char kStyleCss[];

}  // namespace aviary::http

#endif  // AVIARY_HTTP_PAGES_H_
