// indexer: an inverted index. For each word, the sorted list of distinct input files (for
// MongoDB input: collections) that contain it.
//
// Map emits (word, [source]) once per distinct word of a record; Reduce merges such arrays into
// their sorted union, which is again an array of strings, so it can be re-reduced.
#include <algorithm>
#include <string_view>
#include <vector>

#include "../tokenizer.h"
#include "aviary/aviary.h"

namespace {

class Indexer : public aviary::Job {
 public:
  void Map(const aviary::Record& record, aviary::MapContext& ctx) override {
    // Dedupe words within the record (a sorted vector, reused across records, beats a hash set
    // for the few dozen words of a typical line).
    words_.clear();
    aviary_examples::ForEachWord(record.text(), [this](std::string_view word) { words_.push_back(word); });
    if (words_.empty()) return;
    std::sort(words_.begin(), words_.end());
    words_.erase(std::unique(words_.begin(), words_.end()), words_.end());

    const aviary::RecordSource& source = record.source();
    const std::string_view name = source.file.empty() ? source.collection : source.file;
    const aviary::Value files = aviary::ArrayBuilder().Push(aviary::ValueView::String(name)).Finish();
    for (std::string_view word : words_) ctx.Emit(word, files.view());
  }

  aviary::Value Reduce(aviary::ValueView /*word*/, const aviary::Values& lists) override {
    std::vector<std::string_view> names;
    for (aviary::ValueView list : lists) {
      for (const auto& element : list.as_document()) names.push_back(element.value.as_string());
    }
    std::sort(names.begin(), names.end());
    names.erase(std::unique(names.begin(), names.end()), names.end());
    aviary::ArrayBuilder merged;
    for (std::string_view name : names) merged.Push(aviary::ValueView::String(name));
    return merged.Finish();
  }

 private:
  std::vector<std::string_view> words_;  // the current record's words; views into its text
};

}  // namespace

AVIARY_PLUGIN(Indexer, "indexer", "inverted index: for each word, the sorted list of files that contain it")
