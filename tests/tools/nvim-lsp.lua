-- Drives `msbc lsp` through Neovim's built-in LSP client (tests/lsp.rs).
-- Env: MSBC_BIN, MSBC_SPEC (opened), MSBC_OUT (report), MSBC_LINE/MSBC_COL
-- (0-based, where definition is asked; hover is asked at column 1 of that line).
local out = {}
local function say(s) table.insert(out, s) end
local function finish(code)
  local f = io.open(os.getenv('MSBC_OUT'), 'w')
  f:write(table.concat(out, '\n') .. '\n')
  f:close()
  vim.cmd(code == 0 and 'qa!' or 'cq!')
end

local ok, err = pcall(function()
  vim.cmd('edit ' .. vim.fn.fnameescape(os.getenv('MSBC_SPEC')))
  local buf = vim.api.nvim_get_current_buf()
  local id = vim.lsp.start_client({
    name = 'msbc',
    cmd = { os.getenv('MSBC_BIN'), 'lsp' },
    root_dir = vim.fn.fnamemodify(os.getenv('MSBC_SPEC'), ':h'),
  })
  assert(id, 'the client starts')
  vim.lsp.buf_attach_client(buf, id)
  local got = vim.wait(15000, function() return #vim.diagnostic.get(buf) > 0 end, 50)
  assert(got, 'diagnostics arrive')
  for _, d in ipairs(vim.diagnostic.get(buf)) do
    local code = d.code or (d.user_data and d.user_data.lsp and d.user_data.lsp.code) or '?'
    say(string.format('diagnostic %d:%d %s %s', d.lnum, d.col, code, d.message))
  end
  local client = vim.lsp.get_client_by_id(id)
  local line, col = tonumber(os.getenv('MSBC_LINE')), tonumber(os.getenv('MSBC_COL'))
  local uri = vim.uri_from_bufnr(buf)
  local def = client.request_sync('textDocument/definition',
    { textDocument = { uri = uri }, position = { line = line, character = col } }, 10000, buf)
  assert(def and def.result, 'definition answers: ' .. vim.inspect(def))
  local loc = def.result.range and def.result or def.result[1]
  say(string.format('definition %d:%d', loc.range.start.line, loc.range.start.character))
  local hover = client.request_sync('textDocument/hover',
    { textDocument = { uri = uri }, position = { line = line, character = 1 } }, 10000, buf)
  assert(hover and hover.result, 'hover answers: ' .. vim.inspect(hover))
  say('hover ' .. hover.result.contents.value:gsub('\n', ' '))
  client.stop()
end)
if not ok then
  say('error: ' .. tostring(err))
  finish(1)
else
  finish(0)
end
