#!/usr/bin/env node
// Writes evalsets/js-functions.jsonl: the JavaScript function-completion problems of proxy-js-code
// (HumanEval-shaped: prompt = doc comment + signature, canonical_solution = the body, test = check(candidate)).
// The problems were written for this project. Edit here, then run: node scripts/eval/make-js-functions.mjs
import { writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const P = [];
function problem(entry, doc, params, body, tests) {
  const docLines = doc.trim().split("\n").map((l) => ` * ${l}`.trimEnd());
  P.push({
    task_id: `JsFunctions/${P.length}`,
    language: "javascript",
    prompt: `/**\n${docLines.join("\n")}\n */\nfunction ${entry}(${params}) {\n`,
    canonical_solution: body.replace(/^\n/, "") + "}\n",
    test: `function check(candidate) {\n${tests.trim().split("\n").map((l) => "  " + l.trim()).join("\n")}\n}\n`,
    entry_point: entry,
  });
}

problem("sumOfSquares", `
Returns 1² + 2² + … + n² for a non-negative integer n (0 for n = 0).
sumOfSquares(3) === 14`, "n", `
  let total = 0;
  for (let i = 1; i <= n; i++) total += i * i;
  return total;
`, `
assert.equal(candidate(0), 0);
assert.equal(candidate(1), 1);
assert.equal(candidate(3), 14);
assert.equal(candidate(10), 385);`);

problem("isPalindrome", `
Whether the text reads the same backwards, ignoring case and every character that is not a letter or digit.
isPalindrome("A man, a plan, a canal: Panama") === true`, "text", `
  const s = text.toLowerCase().replace(/[^a-z0-9]/g, "");
  return s === s.split("").reverse().join("");
`, `
assert.equal(candidate("A man, a plan, a canal: Panama"), true);
assert.equal(candidate("racecar"), true);
assert.equal(candidate("hello"), false);
assert.equal(candidate(""), true);
assert.equal(candidate("No 'x' in Nixon"), true);`);

problem("countVowels", `
Counts the vowels (a, e, i, o, u, either case) in a string.
countVowels("Hello World") === 3`, "s", `
  let n = 0;
  for (const c of s.toLowerCase()) if ("aeiou".includes(c)) n++;
  return n;
`, `
assert.equal(candidate("Hello World"), 3);
assert.equal(candidate(""), 0);
assert.equal(candidate("rhythm"), 0);
assert.equal(candidate("AEIOUaeiou"), 10);`);

problem("fizzBuzz", `
The strings for 1..n: "Fizz" for multiples of 3, "Buzz" for multiples of 5, "FizzBuzz" for both, else the number.
fizzBuzz(5) → ["1", "2", "Fizz", "4", "Buzz"]`, "n", `
  const out = [];
  for (let i = 1; i <= n; i++) {
    out.push(i % 15 === 0 ? "FizzBuzz" : i % 3 === 0 ? "Fizz" : i % 5 === 0 ? "Buzz" : String(i));
  }
  return out;
`, `
assert.deepEqual(candidate(5), ["1", "2", "Fizz", "4", "Buzz"]);
assert.deepEqual(candidate(0), []);
assert.equal(candidate(15)[14], "FizzBuzz");
assert.equal(candidate(15).length, 15);`);

problem("reverseWords", `
The words of a sentence in reverse order, separated by single spaces (extra spaces are dropped).
reverseWords("  the sky  is blue ") === "blue is sky the"`, "sentence", `
  return sentence.split(/\\s+/).filter(Boolean).reverse().join(" ");
`, `
assert.equal(candidate("  the sky  is blue "), "blue is sky the");
assert.equal(candidate("one"), "one");
assert.equal(candidate(""), "");
assert.equal(candidate("a b c"), "c b a");`);

problem("maxSubarraySum", `
The largest sum of a non-empty run of consecutive numbers in the array; 0 for an empty array.
maxSubarraySum([-2, 1, -3, 4, -1, 2, 1, -5, 4]) === 6`, "nums", `
  if (nums.length === 0) return 0;
  let best = nums[0];
  let cur = nums[0];
  for (let i = 1; i < nums.length; i++) {
    cur = Math.max(nums[i], cur + nums[i]);
    best = Math.max(best, cur);
  }
  return best;
`, `
assert.equal(candidate([-2, 1, -3, 4, -1, 2, 1, -5, 4]), 6);
assert.equal(candidate([]), 0);
assert.equal(candidate([-3, -1, -2]), -1);
assert.equal(candidate([5, 4, -1, 7, 8]), 23);`);

problem("chunk", `
Splits an array into consecutive pieces of the given size (the last one may be shorter).
chunk([1, 2, 3, 4, 5], 2) → [[1, 2], [3, 4], [5]]`, "array, size", `
  const out = [];
  for (let i = 0; i < array.length; i += size) out.push(array.slice(i, i + size));
  return out;
`, `
assert.deepEqual(candidate([1, 2, 3, 4, 5], 2), [[1, 2], [3, 4], [5]]);
assert.deepEqual(candidate([], 3), []);
assert.deepEqual(candidate([1, 2, 3], 3), [[1, 2, 3]]);
assert.deepEqual(candidate(["a", "b", "c"], 1), [["a"], ["b"], ["c"]]);`);

problem("flatten", `
Flattens nested arrays to any depth.
flatten([1, [2, [3, [4]], 5]]) → [1, 2, 3, 4, 5]`, "array", `
  const out = [];
  for (const x of array) {
    if (Array.isArray(x)) out.push(...flatten(x));
    else out.push(x);
  }
  return out;
`, `
assert.deepEqual(candidate([1, [2, [3, [4]], 5]]), [1, 2, 3, 4, 5]);
assert.deepEqual(candidate([]), []);
assert.deepEqual(candidate([[[]]]), []);
assert.deepEqual(candidate(["a", ["b"]]), ["a", "b"]);`);

problem("uniqueSorted", `
The distinct numbers of the array in ascending order.
uniqueSorted([3, 1, 3, 2, 1]) → [1, 2, 3]`, "nums", `
  return [...new Set(nums)].sort((a, b) => a - b);
`, `
assert.deepEqual(candidate([3, 1, 3, 2, 1]), [1, 2, 3]);
assert.deepEqual(candidate([]), []);
assert.deepEqual(candidate([10, -2, 10, 5]), [-2, 5, 10]);`);

problem("capitalizeWords", `
Upper-cases the first letter of every space-separated word and lower-cases the rest.
capitalizeWords("hELLO wORLD") === "Hello World"`, "text", `
  return text.split(" ").map((w) => (w ? w[0].toUpperCase() + w.slice(1).toLowerCase() : w)).join(" ");
`, `
assert.equal(candidate("hELLO wORLD"), "Hello World");
assert.equal(candidate("a"), "A");
assert.equal(candidate(""), "");
assert.equal(candidate("the old  sea"), "The Old  Sea");`);

problem("gcd", `
The greatest common divisor of two non-negative integers (gcd(0, 0) is 0).
gcd(12, 18) === 6`, "a, b", `
  while (b !== 0) [a, b] = [b, a % b];
  return a;
`, `
assert.equal(candidate(12, 18), 6);
assert.equal(candidate(17, 5), 1);
assert.equal(candidate(0, 9), 9);
assert.equal(candidate(0, 0), 0);
assert.equal(candidate(100, 75), 25);`);

problem("isPrime", `
Whether an integer is a prime number.
isPrime(7) === true; isPrime(1) === false`, "n", `
  if (n < 2) return false;
  for (let d = 2; d * d <= n; d++) if (n % d === 0) return false;
  return true;
`, `
assert.equal(candidate(7), true);
assert.equal(candidate(1), false);
assert.equal(candidate(0), false);
assert.equal(candidate(-7), false);
assert.equal(candidate(97), true);
assert.equal(candidate(91), false);`);

problem("fibonacci", `
The n-th Fibonacci number, counting fibonacci(0) = 0 and fibonacci(1) = 1.
fibonacci(10) === 55`, "n", `
  let a = 0;
  let b = 1;
  for (let i = 0; i < n; i++) [a, b] = [b, a + b];
  return a;
`, `
assert.equal(candidate(0), 0);
assert.equal(candidate(1), 1);
assert.equal(candidate(10), 55);
assert.equal(candidate(30), 832040);`);

problem("runLengthEncode", `
Run-length encoding: each run of a repeated character becomes the character followed by the run length.
runLengthEncode("aaabcc") === "a3b1c2"`, "s", `
  let out = "";
  for (let i = 0; i < s.length; ) {
    let j = i;
    while (j < s.length && s[j] === s[i]) j++;
    out += s[i] + (j - i);
    i = j;
  }
  return out;
`, `
assert.equal(candidate("aaabcc"), "a3b1c2");
assert.equal(candidate(""), "");
assert.equal(candidate("x"), "x1");
assert.equal(candidate("aabbaa"), "a2b2a2");`);

problem("areAnagrams", `
Whether two strings use the same letters the same number of times, ignoring spaces and case.
areAnagrams("Dormitory", "dirty room") === true`, "a, b", `
  const norm = (s) => s.toLowerCase().replace(/\\s+/g, "").split("").sort().join("");
  return norm(a) === norm(b);
`, `
assert.equal(candidate("Dormitory", "dirty room"), true);
assert.equal(candidate("listen", "silent"), true);
assert.equal(candidate("abc", "abd"), false);
assert.equal(candidate("aab", "ab"), false);`);

problem("secondLargest", `
The second largest distinct value of the array, or null when there is none.
secondLargest([4, 1, 4, 3]) === 3`, "nums", `
  const u = [...new Set(nums)].sort((a, b) => b - a);
  return u.length >= 2 ? u[1] : null;
`, `
assert.equal(candidate([4, 1, 4, 3]), 3);
assert.equal(candidate([5, 5]), null);
assert.equal(candidate([]), null);
assert.equal(candidate([-1, -5, -3]), -3);`);

problem("digitSum", `
The sum of the decimal digits of an integer (the sign is ignored).
digitSum(-472) === 13`, "n", `
  return String(Math.abs(n)).split("").reduce((s, d) => s + Number(d), 0);
`, `
assert.equal(candidate(-472), 13);
assert.equal(candidate(0), 0);
assert.equal(candidate(9999), 36);
assert.equal(candidate(1001), 2);`);

problem("mergeSorted", `
Merges two ascending arrays into one ascending array.
mergeSorted([1, 4, 6], [2, 3, 7]) → [1, 2, 3, 4, 6, 7]`, "a, b", `
  const out = [];
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) out.push(a[i] <= b[j] ? a[i++] : b[j++]);
  return out.concat(a.slice(i), b.slice(j));
`, `
assert.deepEqual(candidate([1, 4, 6], [2, 3, 7]), [1, 2, 3, 4, 6, 7]);
assert.deepEqual(candidate([], [1]), [1]);
assert.deepEqual(candidate([], []), []);
assert.deepEqual(candidate([1, 1], [1]), [1, 1, 1]);`);

problem("wordFrequencies", `
How many times each word occurs, case-insensitively; words are runs of letters.
wordFrequencies("The whale, the WHALE!") → { the: 2, whale: 2 }`, "text", `
  const out = {};
  for (const w of text.toLowerCase().match(/[a-z]+/g) ?? []) out[w] = (out[w] ?? 0) + 1;
  return out;
`, `
assert.deepEqual(candidate("The whale, the WHALE!"), { the: 2, whale: 2 });
assert.deepEqual(candidate(""), {});
assert.deepEqual(candidate("a b a"), { a: 2, b: 1 });`);

problem("transpose", `
The transpose of a rectangular matrix given as an array of rows.
transpose([[1, 2, 3], [4, 5, 6]]) → [[1, 4], [2, 5], [3, 6]]`, "matrix", `
  if (matrix.length === 0) return [];
  return matrix[0].map((_, j) => matrix.map((row) => row[j]));
`, `
assert.deepEqual(candidate([[1, 2, 3], [4, 5, 6]]), [[1, 4], [2, 5], [3, 6]]);
assert.deepEqual(candidate([]), []);
assert.deepEqual(candidate([[7]]), [[7]]);`);

problem("rotateLeft", `
Rotates an array k places to the left (k may exceed the length); returns a new array.
rotateLeft([1, 2, 3, 4, 5], 2) → [3, 4, 5, 1, 2]`, "array, k", `
  if (array.length === 0) return [];
  const s = ((k % array.length) + array.length) % array.length;
  return array.slice(s).concat(array.slice(0, s));
`, `
assert.deepEqual(candidate([1, 2, 3, 4, 5], 2), [3, 4, 5, 1, 2]);
assert.deepEqual(candidate([1, 2, 3], 3), [1, 2, 3]);
assert.deepEqual(candidate([1, 2, 3], 4), [2, 3, 1]);
assert.deepEqual(candidate([], 1), []);`);

problem("isBalanced", `
Whether every bracket ( ) [ ] { } in the string is closed in the right order; other characters are ignored.
isBalanced("{[()()]}") === true; isBalanced("([)]") === false`, "s", `
  const pairs = { ")": "(", "]": "[", "}": "{" };
  const stack = [];
  for (const c of s) {
    if ("([{".includes(c)) stack.push(c);
    else if (c in pairs) {
      if (stack.pop() !== pairs[c]) return false;
    }
  }
  return stack.length === 0;
`, `
assert.equal(candidate("{[()()]}"), true);
assert.equal(candidate("([)]"), false);
assert.equal(candidate(""), true);
assert.equal(candidate("(("), false);
assert.equal(candidate("a(b)c]"), false);`);

problem("toBinary", `
The binary representation of a non-negative integer, without leading zeros ("0" for zero).
toBinary(10) === "1010"`, "n", `
  if (n === 0) return "0";
  let s = "";
  while (n > 0) {
    s = (n % 2) + s;
    n = Math.floor(n / 2);
  }
  return s;
`, `
assert.equal(candidate(10), "1010");
assert.equal(candidate(0), "0");
assert.equal(candidate(1), "1");
assert.equal(candidate(255), "11111111");`);

problem("median", `
The median of a non-empty array of numbers (the mean of the two middle values when the length is even).
median([3, 1, 2]) === 2; median([4, 1, 3, 2]) === 2.5`, "nums", `
  const s = [...nums].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
`, `
assert.equal(candidate([3, 1, 2]), 2);
assert.equal(candidate([4, 1, 3, 2]), 2.5);
assert.equal(candidate([7]), 7);
assert.equal(candidate([10, 2, 38, 23, 38, 23, 21]), 23);`);

problem("groupByLength", `
Groups words by their length: an object from length to the words of that length, in their original order.
groupByLength(["sea", "ship", "oar", "mast"]) → { 3: ["sea", "oar"], 4: ["ship", "mast"] }`, "words", `
  const out = {};
  for (const w of words) (out[w.length] ??= []).push(w);
  return out;
`, `
assert.deepEqual(candidate(["sea", "ship", "oar", "mast"]), { 3: ["sea", "oar"], 4: ["ship", "mast"] });
assert.deepEqual(candidate([]), {});
assert.deepEqual(candidate(["a"]), { 1: ["a"] });`);

problem("camelToSnake", `
Converts a camelCase identifier to snake_case.
camelToSnake("parseHttpResponse") === "parse_http_response"`, "name", `
  return name.replace(/[A-Z]/g, (c) => "_" + c.toLowerCase());
`, `
assert.equal(candidate("parseHttpResponse"), "parse_http_response");
assert.equal(candidate("simple"), "simple");
assert.equal(candidate("aB"), "a_b");
assert.equal(candidate(""), "");`);

problem("range", `
The integers from start (included) to end (excluded), stepping by step (default 1; may be negative).
range(0, 5) → [0, 1, 2, 3, 4]; range(5, 0, -2) → [5, 3, 1]`, "start, end, step = 1", `
  const out = [];
  if (step > 0) for (let x = start; x < end; x += step) out.push(x);
  else if (step < 0) for (let x = start; x > end; x += step) out.push(x);
  return out;
`, `
assert.deepEqual(candidate(0, 5), [0, 1, 2, 3, 4]);
assert.deepEqual(candidate(5, 0, -2), [5, 3, 1]);
assert.deepEqual(candidate(3, 3), []);
assert.deepEqual(candidate(1, 10, 4), [1, 5, 9]);`);

problem("zip", `
Pairs the elements of two arrays position by position, stopping at the shorter one.
zip([1, 2, 3], ["a", "b"]) → [[1, "a"], [2, "b"]]`, "a, b", `
  const n = Math.min(a.length, b.length);
  const out = [];
  for (let i = 0; i < n; i++) out.push([a[i], b[i]]);
  return out;
`, `
assert.deepEqual(candidate([1, 2, 3], ["a", "b"]), [[1, "a"], [2, "b"]]);
assert.deepEqual(candidate([], [1]), []);
assert.deepEqual(candidate([true], [false]), [[true, false]]);`);

problem("romanToInt", `
The value of a Roman numeral written with I, V, X, L, C, D, M (subtractive forms such as IV and CM allowed).
romanToInt("MCMXCIV") === 1994`, "s", `
  const v = { I: 1, V: 5, X: 10, L: 50, C: 100, D: 500, M: 1000 };
  let total = 0;
  for (let i = 0; i < s.length; i++) {
    const cur = v[s[i]];
    const next = v[s[i + 1]] ?? 0;
    total += cur < next ? -cur : cur;
  }
  return total;
`, `
assert.equal(candidate("MCMXCIV"), 1994);
assert.equal(candidate("III"), 3);
assert.equal(candidate("IX"), 9);
assert.equal(candidate("LVIII"), 58);
assert.equal(candidate("MMXXV"), 2025);`);

problem("missingNumber", `
The array holds every integer from 0 to n except one, in any order; returns the missing one.
missingNumber([3, 0, 1]) === 2`, "nums", `
  const n = nums.length;
  let sum = (n * (n + 1)) / 2;
  for (const x of nums) sum -= x;
  return sum;
`, `
assert.equal(candidate([3, 0, 1]), 2);
assert.equal(candidate([0]), 1);
assert.equal(candidate([1]), 0);
assert.equal(candidate([9, 6, 4, 2, 3, 5, 7, 0, 1]), 8);`);

problem("longestCommonPrefix", `
The longest string that starts every string of the array ("" for an empty array).
longestCommonPrefix(["harpoon", "harbor", "hard"]) === "har"`, "strings", `
  if (strings.length === 0) return "";
  let p = strings[0];
  for (const s of strings) while (!s.startsWith(p)) p = p.slice(0, -1);
  return p;
`, `
assert.equal(candidate(["harpoon", "harbor", "hard"]), "har");
assert.equal(candidate(["whale"]), "whale");
assert.equal(candidate([]), "");
assert.equal(candidate(["ab", "cd"]), "");`);

problem("clamp", `
Limits x to the interval [low, high].
clamp(15, 0, 10) === 10; clamp(-3, 0, 10) === 0`, "x, low, high", `
  return Math.min(high, Math.max(low, x));
`, `
assert.equal(candidate(15, 0, 10), 10);
assert.equal(candidate(-3, 0, 10), 0);
assert.equal(candidate(5, 0, 10), 5);
assert.equal(candidate(0, 0, 0), 0);`);

problem("titleCount", `
Counts how many strings of the array start with an upper-case letter A–Z.
titleCount(["Ahab", "whale", "Ishmael", ""]) === 2`, "words", `
  return words.filter((w) => /^[A-Z]/.test(w)).length;
`, `
assert.equal(candidate(["Ahab", "whale", "Ishmael", ""]), 2);
assert.equal(candidate([]), 0);
assert.equal(candidate(["sea"]), 0);`);

const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const out = join(root, "evalsets", "js-functions.jsonl");
writeFileSync(out, P.map((p) => JSON.stringify(p)).join("\n") + "\n");
console.log(`wrote ${P.length} problems to ${out}`);
