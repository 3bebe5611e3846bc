// A dense row-major matrix that owns its values.
#pragma once

#include <cstddef>
#include <span>
#include <vector>

namespace permrsa {

template <class T>
class Matrix {
 public:
  Matrix() = default;
  Matrix(std::size_t rows, std::size_t cols, T fill = T{})
      : rows_(rows), cols_(cols), values_(rows * cols, fill) {}
  Matrix(std::size_t rows, std::size_t cols, std::vector<T> values)
      : rows_(rows), cols_(cols), values_(std::move(values)) {}

  std::size_t rows() const { return rows_; }
  std::size_t cols() const { return cols_; }
  std::size_t size() const { return values_.size(); }

  T& operator()(std::size_t r, std::size_t c) { return values_[r * cols_ + c]; }
  const T& operator()(std::size_t r, std::size_t c) const { return values_[r * cols_ + c]; }

  std::span<T> row(std::size_t r) { return {values_.data() + r * cols_, cols_}; }
  std::span<const T> row(std::size_t r) const { return {values_.data() + r * cols_, cols_}; }

  T* data() { return values_.data(); }
  const T* data() const { return values_.data(); }
  std::vector<T>& values() { return values_; }
  const std::vector<T>& values() const { return values_; }

  friend bool operator==(const Matrix&, const Matrix&) = default;

 private:
  std::size_t rows_ = 0;
  std::size_t cols_ = 0;
  std::vector<T> values_;
};

}  // namespace permrsa
