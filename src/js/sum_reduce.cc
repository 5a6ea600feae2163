#include "js/sum_reduce.h"

#include <cctype>
#include <map>
#include <set>
#include <string>
#include <vector>

namespace aviary::js {
namespace {

using Tokens = std::vector<std::string>;

bool IsIdentStart(char c) { return std::isalpha(static_cast<unsigned char>(c)) || c == '_' || c == '$'; }
bool IsIdentPart(char c) { return IsIdentStart(c) || std::isdigit(static_cast<unsigned char>(c)); }

// Skips whitespace and comments from *i; false on an unterminated comment.
bool SkipSpace(std::string_view s, size_t* i) {
  while (*i < s.size()) {
    if (std::isspace(static_cast<unsigned char>(s[*i]))) {
      ++*i;
    } else if (s.substr(*i, 2) == "//") {
      while (*i < s.size() && s[*i] != '\n') ++*i;
    } else if (s.substr(*i, 2) == "/*") {
      const size_t end = s.find("*/", *i + 2);
      if (end == std::string_view::npos) return false;
      *i = end + 2;
    } else {
      return true;
    }
  }
  return true;
}

// JavaScript tokens, as far as the templates need them: identifiers, numbers and punctuators
// (the two- and three-character ones the templates use kept whole). Strings, regexes and other
// characters become one-character tokens that no template contains.
bool Tokenise(std::string_view s, Tokens* out) {
  static const char* const kLong[] = {"===", "=>", "+=", "++", "==", "<=", ">=", "&&", "||", "!="};
  size_t i = 0;
  while (SkipSpace(s, &i) && i < s.size()) {
    size_t j = i + 1;
    if (IsIdentStart(s[i])) {
      while (j < s.size() && IsIdentPart(s[j])) ++j;
    } else if (std::isdigit(static_cast<unsigned char>(s[i]))) {
      while (j < s.size() && (IsIdentPart(s[j]) || s[j] == '.')) ++j;
    } else {
      for (const char* p : kLong) {
        if (s.substr(i, std::char_traits<char>::length(p)) == p) {
          j = i + std::char_traits<char>::length(p);
          break;
        }
      }
    }
    out->emplace_back(s.substr(i, j - i));
    i = j;
  }
  return i >= s.size();
}

bool IsIdentifier(const std::string& t) { return !t.empty() && IsIdentStart(t[0]); }

// Semicolons dropped, `let`/`const` read as `var`, a function's own name dropped, and an arrow
// `(k, v) => e` read as `function (k, v) { return e }`.
Tokens Normalise(Tokens t) {
  Tokens out;
  for (std::string& x : t) {
    if (x == ";") continue;
    if (x == "let" || x == "const") x = "var";
    out.push_back(std::move(x));
  }
  if (out.size() > 2 && out[0] == "function" && IsIdentifier(out[1]) && out[2] == "(") out.erase(out.begin() + 1);
  if (out.size() > 6 && out[0] == "(" && out[4] == ")" && out[5] == "=>") {
    out.erase(out.begin() + 5);
    out.insert(out.begin(), "function");
    if (out[6] != "{") {
      out.insert(out.begin() + 6, {"{", "return"});
      out.push_back("}");
    }
  }
  return out;
}

std::vector<Tokens> Templates(SumReduce kind) {
  auto split = [](const std::string& text) {
    Tokens t;
    Tokenise(text, &t);
    return t;
  };
  std::vector<Tokens> all;
  if (kind == SumReduce::kArraySum) {
    all.push_back(split("function ( $K , $V ) { return Array . sum ( $V ) }"));
    return all;
  }
  const std::string head = "function ( $K , $V ) { var $S = 0 ";
  const std::string tail = " return $S }";
  const std::vector<std::string> add_index = {"$S += $V [ $I ]", "$S = $S + $V [ $I ]"};
  const std::vector<std::string> add_item = {"$S += $X", "$S = $S + $X"};
  std::vector<std::string> loops;
  for (const char* step : {"$I ++", "++ $I", "$I += 1"}) {
    for (const std::string& add : add_index) {
      const std::string loop = std::string("for ( var $I = 0 $I < $V . length ") + step + " ) ";
      loops.push_back(loop + add);
      loops.push_back(loop + "{ " + add + " }");
    }
  }
  for (const std::string& add : add_item) {
    loops.push_back("for ( var $X of $V ) " + add);
    loops.push_back("for ( var $X of $V ) { " + add + " }");
    loops.push_back("$V . forEach ( function ( $X ) { " + add + " } )");
  }
  for (const std::string& loop : loops) all.push_back(split(head + loop + tail));
  return all;
}

// Placeholders ($K, $V, ...) bind to distinct identifiers, none of them `Array`.
bool Matches(const Tokens& pattern, const Tokens& tokens) {
  if (pattern.size() != tokens.size()) return false;
  std::map<std::string, std::string> bound;
  std::set<std::string> used;
  for (size_t i = 0; i < pattern.size(); ++i) {
    const std::string& p = pattern[i];
    const std::string& t = tokens[i];
    if (p.size() > 1 && p[0] == '$') {
      auto it = bound.find(p);
      if (it != bound.end()) {
        if (it->second != t) return false;
        continue;
      }
      if (!IsIdentifier(t) || t == "Array" || t == "var" || t == "function" || t == "return" || !used.insert(t).second) {
        return false;
      }
      bound[p] = t;
    } else if (p != t) {
      return false;
    }
  }
  return true;
}

}  // namespace

SumReduce RecogniseSumReduce(std::string_view source) {
  Tokens raw;
  if (!Tokenise(source, &raw)) return SumReduce::kNone;
  const Tokens tokens = Normalise(std::move(raw));
  for (SumReduce kind : {SumReduce::kArraySum, SumReduce::kFromZero}) {
    for (const Tokens& pattern : Templates(kind)) {
      if (Matches(pattern, tokens)) return kind;
    }
  }
  return SumReduce::kNone;
}

}  // namespace aviary::js
