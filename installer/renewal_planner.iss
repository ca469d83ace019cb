; Inno Setup script: per-user Windows installer of the PyInstaller one-folder build.
; Build on Windows (see installer/README.md):
;   pyinstaller --noconfirm --distpath dist --workpath build installer\renewal_planner.spec
;   iscc installer\renewal_planner.iss
#define AppName "Renewal Planner"
#define AppNameZh "城市更新规划助手"
#define AppVersion "0.1.0"
#define AppExe "renewal-planner.exe"

[Setup]
AppId={{6F1E2C4B-7A43-4E1B-9C7D-2B5E6A0F3D11}
AppName={#AppName}
AppVersion={#AppVersion}
AppPublisher=Renewal Planner developers
DefaultDirName={localappdata}\Programs\RenewalPlanner
DefaultGroupName={#AppName}
PrivilegesRequired=lowest
OutputDir=..\dist
OutputBaseFilename=RenewalPlanner-{#AppVersion}-setup
Compression=lzma2
SolidCompression=yes
LicenseFile=..\LICENSE
ArchitecturesInstallIn64BitMode=x64compatible
ChangesAssociations=yes
UninstallDisplayIcon={app}\{#AppExe}

[Languages]
Name: "chinesesimplified"; MessagesFile: "compiler:Languages\ChineseSimplified.isl"
Name: "english"; MessagesFile: "compiler:Default.isl"

[CustomMessages]
chinesesimplified.AssocGpkg=将 .gpkg 项目文件关联到{#AppNameZh}
english.AssocGpkg=Open .gpkg project files with {#AppName}
chinesesimplified.Shortcut={#AppNameZh}
english.Shortcut={#AppName}

[Tasks]
Name: "desktopicon"; Description: "{cm:CreateDesktopIcon}"; GroupDescription: "{cm:AdditionalIcons}"; Flags: unchecked
Name: "assocgpkg"; Description: "{cm:AssocGpkg}"; Flags: unchecked

[Files]
Source: "..\dist\renewal-planner\*"; DestDir: "{app}"; Flags: ignoreversion recursesubdirs createallsubdirs

[Icons]
Name: "{group}\{cm:Shortcut}"; Filename: "{app}\{#AppExe}"; Parameters: "gui"
Name: "{group}\{cm:UninstallProgram,{#AppName}}"; Filename: "{uninstallexe}"
Name: "{userdesktop}\{cm:Shortcut}"; Filename: "{app}\{#AppExe}"; Parameters: "gui"; Tasks: desktopicon

[Registry]
Root: HKCU; Subkey: "Software\Classes\.gpkg\OpenWithProgids"; ValueType: string; ValueName: "RenewalPlanner.Project"; ValueData: ""; Flags: uninsdeletevalue; Tasks: assocgpkg
Root: HKCU; Subkey: "Software\Classes\RenewalPlanner.Project"; ValueType: string; ValueName: ""; ValueData: "{#AppName} project"; Flags: uninsdeletekey; Tasks: assocgpkg
Root: HKCU; Subkey: "Software\Classes\RenewalPlanner.Project\shell\open\command"; ValueType: string; ValueName: ""; ValueData: """{app}\{#AppExe}"" gui ""%1"""; Tasks: assocgpkg

[Run]
Filename: "{app}\{#AppExe}"; Parameters: "--self-test"; Flags: runhidden nowait skipifsilent; Description: "Self-test"
Filename: "{app}\{#AppExe}"; Parameters: "gui"; Flags: nowait postinstall skipifsilent; Description: "{cm:LaunchProgram,{#AppName}}"
